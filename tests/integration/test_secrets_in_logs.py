"""Keys with every awkward character never show, in any form, through ccxt over HTTP to the emulator.

An account is added with a key, secret and passphrase holding backslashes, both quotes, ``%``,
``+``, ``&``, ``=`` (through the control route, which takes printable ASCII without spaces), or
also spaces and non-ASCII letters (through the in-process emulator's ``add_account``, as a user
may type them into a config); real calls then run with every logger at DEBUG
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
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

import ccxt
import pytest

from tests.conftest import BTC
from torchtrade.emulator.venues.base import Credentials
from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig
from torchtrade.envs.live.bitget.venue import BITGET
from torchtrade.envs.live.shared.credentials import ApiKeys
from torchtrade.envs.live.shared.exchange import build_exchange
from torchtrade.errors import ConfigError
from torchtrade.secrets import Secret, redacted_print


@dataclass(frozen=True)
class Keys:
    key: str
    secret: str
    passphrase: str

    def values(self) -> dict[str, str]:
        return {"key": self.key, "secret": self.secret, "passphrase": self.passphrase}


KEY_SETS = {
    # What the control route accepts: printable ASCII, no spaces.
    "ascii": Keys("bg_K\"ey\\1%+&='/0123", "se\"c'ret\\2%+&=#<>", "pa\"ss'ph\\3%+&=x"),
    # Spaces and non-ASCII too. The key and the passphrase travel in HTTP headers, which carry
    # Latin-1 only; the secret only signs.
    "wide": Keys("bg_K\"ey\\1%+&= é'/0123", "sé\"c'ret\\2 %+&=€ λ-😀", "pa\"ss'ph\\3 %+&=é ü"),
}
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


def assert_clean(keys: Keys, text: str, where: str) -> None:
    for name, value in keys.values().items():
        for form in encodings(value):
            assert form not in text, f"the {name} shows in {where} as {form!r}"


@pytest.fixture(params=sorted(KEY_SETS))
def keys(request) -> Keys:
    return KEY_SETS[request.param]


@pytest.fixture
def nasty_account(emulator, keys):
    if keys.key.isascii() and " " not in keys.key + keys.secret + keys.passphrase:
        emulator.control.add_account(keys.key, keys.secret, keys.passphrase, account="nasty")
    elif emulator.emulator is None:
        pytest.skip("an emulator served elsewhere takes printable ASCII keys only")
    else:
        emulator.emulator.add_account(Credentials(keys.key, keys.secret, keys.passphrase, "nasty"))
    return emulator


def nasty_exchange(url: str, keys: Keys, passphrase: str | None = None) -> ccxt.Exchange:
    return build_exchange(
        BITGET,
        ApiKeys(keys.key, Secret(keys.secret), Secret(passphrase or keys.passphrase)),
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
    def test_real_calls_at_debug_and_verbose(self, nasty_account, keys, caplog, capsys):
        caplog.set_level(logging.DEBUG)  # every logger: ccxt's, urllib3's, the emulator's
        exchange = nasty_exchange(nasty_account.url, keys)
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
            lambda: nasty_exchange(nasty_account.url, keys, keys.passphrase + "x").fetch_balance(),
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
        assert_clean(keys, logs, "the DEBUG logs")
        assert_clean(keys, printed, "ccxt's verbose output")
        assert_clean(keys, "\n".join(errors), "an exception message")

    def test_every_exchange_built_prints_through_the_redactor(self, nasty_account, keys):
        exchange = nasty_exchange(nasty_account.url, keys)
        assert exchange.log is redacted_print
        assert exchange.logger.filters  # ccxt's logger carries the redacting filter
        for name in ("ccxt.base.exchange", "urllib3.connectionpool"):
            assert logging.getLogger(name).filters

    def test_an_exception_logged_with_its_traceback(self, nasty_account, keys, caplog):
        """A record whose exception text holds a header value is rendered redacted."""
        caplog.set_level(logging.DEBUG)
        exchange = nasty_exchange(nasty_account.url, keys)
        try:
            raise ccxt.AuthenticationError(f"bitget refused {json.dumps({'ACCESS-KEY': keys.key})}")
        except ccxt.AuthenticationError:
            exchange.logger.debug("call failed for %r", {"pass": keys.passphrase}, exc_info=True)
        assert "AuthenticationError: bitget refused" in caplog.text
        assert_clean(keys, caplog.text, "a logged traceback")


class TestEnvReprsAndErrors:
    def config(self, url: str, keys: Keys, **kw) -> BitgetFuturesTradingEnvConfig:
        return BitgetFuturesTradingEnvConfig(
            base_url=url,
            api_key=keys.key,
            api_secret=keys.secret,
            api_passphrase=keys.passphrase,
            quantity_per_trade=0.01,
            **kw,
        )

    def test_config_and_env_reprs_and_a_stepping_env_at_debug(self, nasty_account, keys, caplog, capsys):
        caplog.set_level(logging.DEBUG)
        config = self.config(nasty_account.url, keys)
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
        assert_clean(keys, shown, "a repr")
        assert_clean(keys, logs, "the env's DEBUG logs")
        assert_clean(keys, printed, "the env's verbose output")
        env.close()

    @pytest.mark.parametrize("bad", [{"leverage": 0}, {"symbol": "BTCUSDT"}, {"window_sizes": [0]}])
    def test_config_errors(self, emulator, keys, bad):
        with pytest.raises(ConfigError) as e:
            self.config(emulator.url, keys, **bad)
        assert_clean(keys, f"{e.value} {e.value!r}", "a ConfigError")

    def test_missing_passphrase_error(self, emulator, keys):
        config = BitgetFuturesTradingEnvConfig(
            base_url=emulator.url, api_key=keys.key, api_secret=keys.secret
        )
        with pytest.raises(ConfigError, match="api_passphrase is missing") as e:
            BitgetFuturesTorchTradingEnv(config)
        assert_clean(keys, f"{e.value} {e.value!r} {config!r}", "a ConfigError")
