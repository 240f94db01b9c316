"""Secrets that never show themselves, and a redactor that masks them in every form a log line carries.

:class:`Secret` holds an API secret or passphrase: ``repr``, ``str`` and f-strings give ``'***'``, so
a secret cannot reach a log line, a config's repr or an exception message by accident; code that
really needs the value calls :meth:`Secret.reveal`.

A value handed to a client library (ccxt) escapes that protection: ccxt logs its request headers
(``ACCESS-KEY``, ``ACCESS-PASSPHRASE``) at DEBUG as a dict's repr, and prints them with
``verbose=True``. :data:`REDACTOR` masks every registered value in the forms a line can carry it:

* raw;
* backslash-escaped: Python's repr (either quote style), ``str.encode("unicode_escape")``,
  ``json.dumps`` with and without ``ensure_ascii``, each with quotes escaped or not, and each of
  those escaped once more (a JSON body quoting a repr);
* URL-encoded: ``quote`` (``safe="/"`` and ``safe=""``) and ``quote_plus``, UTF-8 and Latin-1,
  upper- and lower-case hex.

Secrets (API secrets, passphrases) become ``***``. API keys are identifiers, not signing material,
but they are masked too: a key of at least :data:`KEY_PREFIX_MIN_LENGTH` characters keeps its first
:data:`KEY_PREFIX` characters (``bg_1***``, enough to tell two accounts apart), a shorter one is masked
whole (:func:`mask_key`, also what reprs show).

Values shorter than :data:`MIN_REDACTED_LENGTH` (4) characters are not redacted: a 1-character
secret would mask that character in every line, which destroys the logs and, by showing where the
character is *not*, says about as much as it hides. The value is still used (the venue decides
what it accepts), but :meth:`Redactor.add` warns once per kind that it cannot be kept out of logs
(naming its kind, never its value). Registered values stay registered for the life of the process.

Masking is a log-hygiene net, not a proof: a value written in a form not listed above (base64, a
third level of escaping, split across two lines) is not recognised.
"""

from __future__ import annotations

import builtins
import hmac
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "KEY_PREFIX",
    "KEY_PREFIX_MIN_LENGTH",
    "MASK",
    "MIN_REDACTED_LENGTH",
    "REDACTOR",
    "RedactingFilter",
    "Redactor",
    "Secret",
    "forms",
    "install",
    "mask_key",
    "redacted_print",
]

logger = logging.getLogger(__name__)

MASK = "***"
MIN_REDACTED_LENGTH = 4
KEY_PREFIX = 4
KEY_PREFIX_MIN_LENGTH = 16


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a string, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple:  # pickling keeps the value (collectors may pickle configs)
        return (Secret, (self._value,))


def mask_key(key: str) -> str:
    """How an API key shows in reprs and logs: its first 4 characters if it is long, else nothing."""
    return key[:KEY_PREFIX] + MASK if len(key) >= KEY_PREFIX_MIN_LENGTH else MASK


# ---------------------------------------------------------------------------------------- forms


def _py_body(s: str) -> str:
    """The inside of ``repr(s)`` with neither quote escaped (Python escapes the one it quotes with)."""
    return "".join(c if c in "'\"" else repr(c)[1:-1] for c in s)


def _backslashed(s: str) -> set[str]:
    """The backslash-escaped bodies of ``s`` (no surrounding quotes), each quote style."""
    bodies = {
        s,
        s.replace("\\", "\\\\"),
        _py_body(s),
        s.encode("unicode_escape").decode("ascii"),
        json.dumps(s)[1:-1],
        json.dumps(s, ensure_ascii=False)[1:-1],
    }
    out: set[str] = set()
    for b in bodies:
        out |= {b, b.replace("'", "\\'"), b.replace('"', '\\"'), b.replace("'", "\\'").replace('"', '\\"')}
    return out


def _url_encoded(s: str) -> set[str]:
    out: set[str] = set()
    for encoding in ("utf-8", "latin-1"):
        try:
            s.encode(encoding)
        except UnicodeEncodeError:
            continue
        for q in (
            quote(s, encoding=encoding),
            quote(s, safe="", encoding=encoding),
            quote_plus(s, encoding=encoding),
            quote_plus(s, safe="/", encoding=encoding),
        ):
            out |= {q, re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), q)}
    return out


def forms(value: str) -> set[str]:
    """Every form of ``value`` a log line can carry (see the module docstring), ``value`` included."""
    once = _backslashed(value)
    twice = set().union(*(_backslashed(b) for b in once))
    return twice | _url_encoded(value)


# ------------------------------------------------------------------------------------ redaction


class Redactor:
    """Masks registered secrets and API keys in text, in every form of :func:`forms`.

    Thread-safe; :meth:`redact` costs one regex scan of the text (a string with no registered
    value comes back as is).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (pattern, form -> its replacement), swapped as one so a reader never sees half an update.
        self._state: tuple[re.Pattern[str], dict[str, str]] | None = None
        self._warned: set[str] = set()

    def add(self, value: str | Secret | None, *, kind: str = "secret") -> None:
        """Registers a value to mask from now on: ``kind="key"`` for an API key, else a secret.

        ``None`` and empty values are ignored; values shorter than :data:`MIN_REDACTED_LENGTH`
        are not registered (see the module docstring) and a WARNING names their ``kind``.
        """
        raw = value.reveal() if isinstance(value, Secret) else value
        if not raw:
            return
        if len(raw) < MIN_REDACTED_LENGTH:
            with self._lock:
                first = kind not in self._warned
                self._warned.add(kind)
            if first:
                logger.warning(
                    "a %s shorter than %d characters cannot be redacted from logs (it would mask "
                    "that text everywhere); use a longer one",
                    kind,
                    MIN_REDACTED_LENGTH,
                )
            return
        mask = mask_key(raw) if kind == "key" else MASK
        with self._lock:
            masks = dict(self._state[1]) if self._state else {}
            new = {f: mask for f in forms(raw) if masks.get(f) != MASK}  # a secret's mask wins
            if all(masks.get(f) == m for f, m in new.items()):
                return
            masks.update(new)
            self._state = (_trie_pattern(masks), masks)

    def add_all(self, values: Iterable[str | Secret | None], *, kind: str = "secret") -> None:
        for v in values:
            self.add(v, kind=kind)

    def redact(self, text: str) -> str:
        state = self._state
        if state is None or not text:
            return text
        pattern, masks = state
        return pattern.sub(lambda m: masks[m.group()], text)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._state is not None and value in self._state[1]


def _trie_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of ``words``, the longest at a position, built as a trie.

    A plain alternation of hundreds of forms is tried form by form at every position (~30 times
    slower on a long response body); a trie branches once per character.
    """
    trie: dict[str, dict] = {}
    for w in words:
        node = trie
        for c in w:
            node = node.setdefault(c, {})
        node[""] = {}  # a word ends here
    order, stack = [], [trie]
    while stack:  # iterative: a form can be longer than Python's recursion limit
        node = stack.pop()
        order.append(node)
        stack.extend(child for c, child in node.items() if c)
    built: dict[int, str] = {}
    for node in reversed(order):  # children before their parent
        alts = [re.escape(c) + built[id(child)] for c, child in sorted(node.items()) if c]
        body = "(?:" + "|".join(alts) + ")" if len(alts) > 1 else "".join(alts)
        built[id(node)] = f"(?:{body})?" if "" in node and body else body
    return re.compile(built[id(trie)])


REDACTOR = Redactor()
"""The process-wide redactor: every secret and key an env of this process uses is registered here."""


class RedactingFilter(logging.Filter):
    """A logging filter that masks :data:`REDACTOR`'s values in a record.

    The message is rendered (``msg % args``) and replaced by its redacted text when it held a
    value; the rendered exception (``exc_info``, ``exc_text``) and ``stack_info`` likewise: a
    record whose exception text held a value keeps only the redacted text (``exc_info`` is
    dropped, so no handler renders the original again). A record is never dropped.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or REDACTOR

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.redactor.redact
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep what it says, redacted, and let it through
            message = f"{record.msg} {record.args!r}"
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            clean_exc = redact(record.exc_text)
            if clean_exc != record.exc_text:
                record.exc_text, record.exc_info = clean_exc, None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def redacted_print(*args: Any, redactor: Redactor | None = None, **kwargs: Any) -> None:
    """``print`` with :data:`REDACTOR`'s values masked: what ccxt's ``Exchange.log`` becomes.

    Keeps ``print``'s behaviour (``sep``, ``end``, ``file`` at call time: ``sys.stdout``).
    """
    sep = kwargs.pop("sep", " ")
    sep = " " if sep is None else sep
    text = sep.join(map(str, args))
    kwargs.setdefault("file", sys.stdout)
    builtins.print((redactor or REDACTOR).redact(text), **kwargs)


def install(*loggers: str | logging.Logger) -> None:
    """Adds the process-wide redacting filter to each logger (by name or object), once each.

    A logger's filters see only the records logged to that very logger (not those propagated from
    its children), so every logger that may carry a value must be named.
    """
    for target in loggers:
        target = logging.getLogger(target) if isinstance(target, str) else target
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


_FILTER = RedactingFilter()
