"""The log redactor (``torchtrade/secrets.py``): every form of a value is masked, nothing else is.

Each test uses its own :class:`Redactor`, so the process-wide one is never filled with test values.
"""

from __future__ import annotations

import json
import logging
import sys
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torchtrade.secrets import (
    MASK,
    MIN_REDACTED_LENGTH,
    RedactingFilter,
    Redactor,
    forms,
    mask_key,
    redacted_print,
)

NASTY = [
    "pa\"ss'ph\\rase",
    "back\\slash\\\\double",
    "per%cent+plus&amp=eq ual",
    "ünïcødé-€-😀-secret",
    "tab\tnew\nline\x00nul",
    "abcd",  # the shortest value redacted
]


def lower_hex(s: str) -> str:
    import re

    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), s)


# Every way a library or a log format writes a string (the brief's list, and what ccxt really does).
ENCODERS = {
    "raw": lambda s: s,
    "repr": repr,
    "repr-in-dict": lambda s: repr({"ACCESS-PASSPHRASE": s}),
    "repr-in-list": lambda s: repr([s, "x"]),
    "str-of-dict": lambda s: str({"k": s}),
    "unicode_escape": lambda s: s.encode("unicode_escape").decode("ascii"),
    "json": json.dumps,
    "json-no-ascii": lambda s: json.dumps(s, ensure_ascii=False),
    "json-in-body": lambda s: json.dumps({"passphrase": s}),
    "json-of-repr": lambda s: json.dumps(repr({"h": s})),
    "json-of-json": lambda s: json.dumps(json.dumps(s)),
    "quote": quote,
    "quote-safe-none": lambda s: quote(s, safe=""),
    "quote_plus": quote_plus,
    "quote-lower": lambda s: lower_hex(quote(s, safe="")),
    "quote_plus-lower": lambda s: lower_hex(quote_plus(s)),
}


def redactor_of(*values: str, kind: str = "secret") -> Redactor:
    r = Redactor()
    for v in values:
        r.add(v, kind=kind)
    return r


def leaks(value: str, text: str) -> list[str]:
    return [name for name, enc in ENCODERS.items() if _body(enc(value), value) in text]


def _body(encoded: str, value: str) -> str:
    """The part of an encoding that is the value's (an encoding may wrap it in quotes or a dict)."""
    for f in sorted(forms(value), key=len, reverse=True):
        if f in encoded:
            return f
    return encoded


class TestForms:
    @pytest.mark.parametrize("value", NASTY)
    @pytest.mark.parametrize("encoding", ENCODERS)
    def test_every_encoding_is_masked(self, value, encoding):
        r = redactor_of(value)
        text = f"GET /x?a=1, Request: {ENCODERS[encoding](value)} tail"
        out = r.redact(text)
        assert MASK in out
        assert not leaks(value, out), out
        assert out.startswith("GET /x?a=1, Request: ")
        assert out.endswith(" tail")

    @pytest.mark.parametrize("value", NASTY)
    def test_each_encoding_of_the_value_is_one_of_its_forms(self, value):
        """The redactor masks what forms() lists: each encoding above holds one of them."""
        fs = forms(value)
        for name, enc in ENCODERS.items():
            assert any(f in enc(value) for f in fs), name

    @settings(max_examples=150)
    @given(
        value=st.text(st.characters(blacklist_characters="*"), min_size=MIN_REDACTED_LENGTH, max_size=24),
        encoding=st.sampled_from(sorted(ENCODERS)),
        before=st.text(max_size=8),
        after=st.text(max_size=8),
    )
    def test_any_value_in_any_encoding_with_any_neighbours(self, value, encoding, before, after):
        encoded = ENCODERS[encoding](value)
        out = redactor_of(value).redact(before + encoded + after)
        assert _body(encoded, value) not in out

    def test_text_without_a_value_is_returned_as_is(self):
        r = redactor_of(*NASTY)
        text = "GET /api/v2/mix/market/candles?symbol=BTCUSDT 200 {'Content-Type': 'json'} []"
        assert r.redact(text) == text
        assert Redactor().redact(text) == text


class TestLengthAndKeys:
    @pytest.mark.parametrize("short", ["", "a", "ab", "abc"])
    def test_a_short_value_is_not_redacted_and_says_so(self, short, caplog):
        r = Redactor()
        with caplog.at_level(logging.WARNING, logger="torchtrade.secrets"):
            r.add(short, kind="passphrase")
        text = "a b c ab abc abcd bca"
        assert r.redact(text) == text  # a 1-character secret must not shred every line
        assert short not in r
        if short:  # the warning names the kind, never the value
            (message,) = [rec.getMessage() for rec in caplog.records]
            assert message == (
                "a passphrase shorter than 4 characters cannot be redacted from logs (it would mask "
                "that text everywhere); use a longer one"
            )

    def test_none_and_empty_are_ignored(self):
        r = Redactor()
        r.add(None)
        r.add("")
        assert r.redact("anything") == "anything"

    @pytest.mark.parametrize(
        ("key", "shown"),
        [("bg_0123456789abcdef0123", "bg_0***"), ("emulator-key", "***"), ("k" * 15, "***"), ("abcd", "***")],
    )
    def test_an_api_key_keeps_at_most_a_short_prefix(self, key, shown):
        assert mask_key(key) == shown
        r = redactor_of(key, kind="key")
        assert r.redact(f"{{'ACCESS-KEY': {key!r}}}") == f"{{'ACCESS-KEY': '{shown}'}}"

    def test_a_secret_mask_wins_over_a_key_mask(self):
        """A value registered both as a key and as a secret is masked whole."""
        value = "shared-value-0123456789"
        r = redactor_of(value, kind="key")
        r.add(value, kind="secret")
        assert r.redact(value) == MASK
        r.add(value, kind="key")
        assert r.redact(value) == MASK

    def test_overlapping_values_mask_the_longest(self):
        r = redactor_of("abcd", "abcdefgh")
        assert r.redact("xabcdefghy abcd") == f"x{MASK}y {MASK}"


def make_record(msg, args=(), exc_info=None, stack_info=None) -> logging.LogRecord:
    return logging.LogRecord(
        "ccxt.base.exchange", logging.DEBUG, __file__, 1, msg, args, exc_info, None, stack_info
    )


class TestFilter:
    SECRET = "pa\"ss'ph\\rase"

    def filtered(self, record: logging.LogRecord) -> logging.LogRecord:
        assert RedactingFilter(redactor_of(self.SECRET)).filter(record) is True
        return record

    def test_msg_and_args(self):
        rec = self.filtered(
            make_record("%s %s, Request: %s", ("GET", "/x", {"ACCESS-PASSPHRASE": self.SECRET}))
        )
        assert rec.getMessage() == "GET /x, Request: {'ACCESS-PASSPHRASE': '***'}"
        rec = self.filtered(make_record(f"header {self.SECRET!r} in the message itself"))
        assert rec.getMessage() == "header '***' in the message itself"

    def test_a_record_without_a_value_keeps_its_args(self):
        rec = self.filtered(make_record("%s candles", (3,)))
        assert rec.args == (3,)
        assert rec.getMessage() == "3 candles"

    def test_exception_text_and_stack(self):
        try:
            raise ValueError(f"bad header {json.dumps(self.SECRET)}")
        except ValueError:
            rec = make_record("failed", exc_info=sys.exc_info(), stack_info=f"stack {self.SECRET}")
        self.filtered(rec)
        text = logging.Formatter().format(rec)
        assert 'ValueError: bad header "***"' in text
        assert rec.exc_info is None  # no handler can render the original exception again
        assert rec.stack_info == f"stack {MASK}"
        assert not leaks(self.SECRET, text)

    def test_exception_text_without_a_value_keeps_exc_info(self):
        try:
            raise ValueError("nothing secret")
        except ValueError:
            rec = make_record("failed", exc_info=sys.exc_info())
        self.filtered(rec)
        assert rec.exc_info is not None
        assert "nothing secret" in logging.Formatter().format(rec)

    def test_a_malformed_record_is_redacted_not_raised(self):
        rec = self.filtered(make_record("%s %s", (self.SECRET,)))  # one argument short
        assert self.SECRET not in rec.getMessage()
        assert MASK in rec.getMessage()


def test_redacted_print_keeps_print_semantics(capsys):
    r = redactor_of("verbose-passphrase")
    redacted_print(
        "\nfetch Request:", "bitget", {"ACCESS-PASSPHRASE": "verbose-passphrase"}, None, redactor=r
    )
    redacted_print("a", "b", sep="-", end="!\n", redactor=r)
    redacted_print("to stderr verbose-passphrase", file=sys.stderr, redactor=r)
    out, err = capsys.readouterr()
    assert out == "\nfetch Request: bitget {'ACCESS-PASSPHRASE': '***'} None\na-b!\n"
    assert err == "to stderr ***\n"
