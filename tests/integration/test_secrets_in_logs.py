"""Keys with every awkward character never show, in any form, through ccxt over HTTP to the emulator.

An account is added with a key, secret and passphrase holding backslashes, both quotes, ``%``,
``+``, ``&``, ``=``, spaces and non-ASCII letters; real calls then run with every logger at DEBUG
(ccxt logs each request's headers, ``ACCESS-KEY`` and ``ACCESS-PASSPHRASE`` included, as a dict's
repr) and ccxt's ``verbose=True`` (which prints the same through ``Exchange.log``). Nothing
captured (caplog, stdout, stderr, reprs, exception messages) may hold any form of any of them.

The forms checked are written out here (the encoders below), independently of the redactor's own
list in ``torchtrade/secrets.py``.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote, quote_plus

import ccxt
import pytest

from tests.conftest import BTC
from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig
from torchtrade.envs.live.bitget.venue import BITGET
from torchtrade.envs.live.shared.credentials import ApiKeys
from torchtrade.envs.live.shared.exchange import build_exchange
from torchtrade.errors import ConfigError
from torchtrade.secrets import Secret, redacted_print

# The key and the passphrase travel in HTTP headers, which carry Latin-1 only; the secret only signs.
KEY = "bg_K\"ey\\1%+&= é'/0123"
SECRET = "sé\"c'ret\\2 %+&=€ λ-😀"
PASSPHRASE = "pa\"ss'ph\\3 %+&=é ü"
VALUES = {"key": KEY, "secret": SECRET, "passphrase": PASSPHRASE}
KEY_SHOWN = "bg_K***"  # a key of 16+ characters keeps its first four


def _lower(s: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), s)


def encodings(value: str) -> set[str]:
    """How a line can carry ``value``: raw, repr/JSON/unicode-escaped, once and twice, URL-encoded."""
    bodies = {
        value,
        repr(value)[1:-1],
        repr(value + "'\"")[1:-3],  # repr with both quotes in the string: escapes '
        value.encode("unicode_escape").decode("ascii"),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(repr(value))[2:-2],
        json.dumps(json.dumps(value))[3:-3],
    }
    for q in (quote(value), quote(value, safe=""), quote_plus(value)):
        bodies |= {q, _lower(q)}
    return bodies


def assert_clean(text: str, where: str) -> None:
    for name, value in VALUES.items():
        for form in encodings(value):
            assert form not in text, f"the {name} shows in {where} as {form!r}"


@pytest.fixture
def nasty_account(emulator):
    emulator.control.add_account(KEY, SECRET, PASSPHRASE, account="nasty")
    return emulator


def nasty_exchange(url: str, passphrase: str = PASSPHRASE) -> ccxt.Exchange:
    return build_exchange(
        BITGET,
        ApiKeys(KEY, Secret(SECRET), Secret(passphrase)),
        demo=False,
        base_url=url,
        timeout_ms=5000,
        rate_limit=False,
    )


def everything_logged(caplog, capsys) -> tuple[str, str]:
    out, err = capsys.readouterr()
    records = "\n".join(r.getMessage() for r in caplog.records)
    return caplog.text + "\n" + records, out + "\n" + err


class TestCcxtLogsAndPrints:
    def test_real_calls_at_debug_and_verbose(self, nasty_account, caplog, capsys):
        caplog.set_level(logging.DEBUG)  # every logger: ccxt's, urllib3's, the emulator's
        exchange = nasty_exchange(nasty_account.url)
        exchange.verbose = True
        exchange.load_markets()
        assert exchange.fetch_balance()["USDT"]["total"] == 10_000
        exchange.fetch_positions([BTC])
        exchange.fetch_ohlcv(BTC, "1m", limit=5)
        order = exchange.create_order(
            BTC, "market", "buy", 0.01, params={"marginMode": "isolated", "clientOrderId": "nasty-1"}
        )
        exchange.fetch_order(order["id"], BTC)
        exchange.fetch_open_orders(BTC)
        errors = []
        for call in (
            lambda: exchange.create_order(BTC, "market", "buy", 0.0000001),  # below the venue's minimum
            lambda: exchange.fetch_order("123456789", BTC),  # no such order
            lambda: nasty_exchange(nasty_account.url, passphrase=PASSPHRASE + "x").fetch_balance(),
        ):
            with pytest.raises(ccxt.BaseError) as e:
                call()
            errors.append(f"{e.value} {e.value!r}")
        assert any("40012" in text for text in errors)  # the wrong passphrase was refused

        logs, printed = everything_logged(caplog, capsys)
        # Not vacuous: ccxt logged and printed its request headers, masked.
        assert "'ACCESS-PASSPHRASE': '***'" in logs
        assert "'ACCESS-PASSPHRASE': '***'" in printed
        assert f"'ACCESS-KEY': '{KEY_SHOWN}'" in logs
        assert f"'ACCESS-KEY': '{KEY_SHOWN}'" in printed
        assert "fetch Request:" in printed
        assert_clean(logs, "the DEBUG logs")
        assert_clean(printed, "ccxt's verbose output")
        assert_clean("\n".join(errors), "an exception message")

    def test_every_exchange_built_prints_through_the_redactor(self, nasty_account):
        exchange = nasty_exchange(nasty_account.url)
        assert exchange.log is redacted_print
        assert exchange.logger.filters  # ccxt's logger carries the redacting filter
        for name in ("ccxt.base.exchange", "urllib3.connectionpool"):
            assert logging.getLogger(name).filters

    def test_an_exception_logged_with_its_traceback(self, nasty_account, caplog):
        """A record whose exception text holds a header value is rendered redacted."""
        caplog.set_level(logging.DEBUG)
        exchange = nasty_exchange(nasty_account.url)
        try:
            raise ccxt.AuthenticationError(f"bitget refused {json.dumps({'ACCESS-KEY': KEY})}")
        except ccxt.AuthenticationError:
            exchange.logger.debug("call failed for %r", {"pass": PASSPHRASE}, exc_info=True)
        assert "AuthenticationError: bitget refused" in caplog.text
        assert_clean(caplog.text, "a logged traceback")


class TestEnvReprsAndErrors:
    def config(self, url: str, **kw) -> BitgetFuturesTradingEnvConfig:
        return BitgetFuturesTradingEnvConfig(
            base_url=url,
            api_key=KEY,
            api_secret=SECRET,
            api_passphrase=PASSPHRASE,
            quantity_per_trade=0.01,
            **kw,
        )

    def test_config_and_env_reprs_and_a_stepping_env_at_debug(self, nasty_account, caplog, capsys):
        caplog.set_level(logging.DEBUG)
        config = self.config(nasty_account.url)
        env = BitgetFuturesTorchTradingEnv(config, clock=EmulatorClock(nasty_account.control))
        env.trader.exchange.verbose = True
        env.reset()
        env.step(2)
        env.step(1)
        assert len(nasty_account.control.ledger("order", account="nasty")) == 1  # the keys worked
        logs, printed = everything_logged(caplog, capsys)
        assert "'ACCESS-PASSPHRASE': '***'" in logs
        assert "'ACCESS-PASSPHRASE': '***'" in printed
        shown = "\n".join([repr(config), str(config), repr(env), str(env), repr(env.trader)])
        assert_clean(shown, "a repr")
        assert_clean(logs, "the env's DEBUG logs")
        assert_clean(printed, "the env's verbose output")
        env.close()

    @pytest.mark.parametrize("bad", [{"leverage": 0}, {"symbol": "BTCUSDT"}, {"window_sizes": [0]}])
    def test_config_errors(self, nasty_account, bad):
        with pytest.raises(ConfigError) as e:
            self.config(nasty_account.url, **bad)
        assert_clean(f"{e.value} {e.value!r}", "a ConfigError")

    def test_missing_passphrase_error(self, nasty_account):
        config = BitgetFuturesTradingEnvConfig(base_url=nasty_account.url, api_key=KEY, api_secret=SECRET)
        with pytest.raises(ConfigError, match="api_passphrase is missing") as e:
            BitgetFuturesTorchTradingEnv(config)
        assert_clean(f"{e.value} {e.value!r} {config!r}", "a ConfigError")
