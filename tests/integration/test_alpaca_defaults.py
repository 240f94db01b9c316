"""An Alpaca emulator built with no configuration is a paper account as Alpaca opens one."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.alpaca_support import trading
from torchtrade.emulator.runtime import EmulatorConfig
from torchtrade.emulator.server import EmulatorServer


def test_a_plain_alpaca_emulator_starts_with_the_venues_own_cash():
    with EmulatorServer(venue="alpaca") as server:
        account = trading(server.url).get_account()
    assert Decimal(account.cash) == 100_000
    assert account.currency == "USD"


def test_the_caller_s_balances_win_over_the_venues_defaults():
    assert EmulatorConfig(venue="alpaca", balances={"USD": Decimal(5_000)}).balances == {
        "USD": Decimal(5_000)
    }
    assert EmulatorConfig(venue="alpaca").engine.default_leverage == 1
    assert EmulatorConfig(venue="bitget").balances == {"USDT": Decimal(10_000)}
