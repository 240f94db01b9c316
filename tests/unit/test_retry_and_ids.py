"""Retry policy, error translation and client order ids, in isolation (no venue needed)."""

from __future__ import annotations

import ccxt
import pytest

from torchtrade.envs.live.shared.errors import translate_errors, venue_code
from torchtrade.envs.live.shared.ids import ClientOrderIds
from torchtrade.envs.live.shared.retry import Retrier, RetryPolicy
from torchtrade.errors import (
    AuthError,
    InsufficientMargin,
    OrderRejected,
    RateLimited,
    TransientVenueError,
    VenueError,
)


class FakeExchange:
    def __init__(self) -> None:
        self.last_response_headers = {"Retry-After": "1.5"}


def failing(errors: list[Exception]):
    def fn():
        if errors:
            raise errors.pop(0)
        return "ok"

    return fn


def test_transient_errors_are_retried_with_backoff_and_429_hints():
    sleeps: list[float] = []
    retrier = Retrier(RetryPolicy(attempts=5, initial_s=0.1, max_s=1.0, jitter_s=0.0), sleep=sleeps.append)
    fn = failing(
        [TransientVenueError("reset"), RateLimited("429", retry_after=2.5), TransientVenueError("503")]
    )
    assert retrier.run(fn) == "ok"
    assert retrier.retries == 3
    assert sleeps[1] == 2.5  # the venue's hint, not the backoff
    assert sleeps[0] == pytest.approx(0.1)
    assert sleeps[2] == pytest.approx(0.4)  # exponential: 0.1, (0.2), 0.4


def test_a_long_429_hint_is_capped():
    sleeps: list[float] = []
    retrier = Retrier(RetryPolicy(max_retry_after_s=5.0), sleep=sleeps.append)
    retrier.run(failing([RateLimited("429", retry_after=600)]))
    assert sleeps == [5.0]


def test_retries_give_up_after_the_attempts():
    retrier = Retrier(RetryPolicy(attempts=3, initial_s=0), sleep=lambda s: None)
    with pytest.raises(TransientVenueError):
        retrier.run(failing([TransientVenueError("x")] * 5))
    assert retrier.retries == 2


def test_non_transient_errors_are_not_retried():
    retrier = Retrier(RetryPolicy(), sleep=lambda s: None)
    with pytest.raises(OrderRejected):
        retrier.run(failing([OrderRejected("no")]))
    assert retrier.retries == 0


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ccxt.DDoSProtection('bitget {"code":"429","msg":"Too Many Requests"}'), RateLimited),
        (ccxt.RateLimitExceeded("bitget 429"), RateLimited),
        (ccxt.RequestTimeout("bitget GET url"), TransientVenueError),
        (ccxt.ExchangeNotAvailable("bitget 503"), TransientVenueError),
        (ccxt.NetworkError("reset"), TransientVenueError),
        (ccxt.AuthenticationError('bitget {"code":"40009","msg":"sign signature error"}'), AuthError),
        (
            ccxt.InsufficientFunds('bitget {"code":"40762","msg":"The order amount exceeds the balance"}'),
            InsufficientMargin,
        ),
        (
            ccxt.InvalidOrder('bitget {"code":"45110","msg":"less than the minimum amount 5 USDT"}'),
            OrderRejected,
        ),
    ],
)
def test_ccxt_errors_translate_by_what_to_do_next(raised, expected):
    with pytest.raises(expected) as e, translate_errors(FakeExchange(), "bitget", "create_order", order=True):
        raise raised
    assert e.value.__cause__ is raised
    if isinstance(e.value, RateLimited) and isinstance(raised, ccxt.DDoSProtection):
        assert e.value.retry_after == 1.5
        assert e.value.code == "429"


def test_a_non_order_exchange_error_is_a_plain_venue_error():
    with pytest.raises(VenueError) as e, translate_errors(FakeExchange(), "bitget", "fetch_positions"):
        raise ccxt.BadRequest('bitget {"code":"40034","msg":"Parameter FOO does not exist"}')
    assert not isinstance(e.value, OrderRejected)
    assert e.value.code == "40034"
    assert "Parameter FOO does not exist" in str(e.value)


def test_venue_code():
    assert venue_code(ccxt.ExchangeError('bitget {"code":"40786","msg":"Duplicate clientOid"}')) == "40786"
    assert venue_code(ccxt.ExchangeError("no json")) is None


def test_client_order_ids_are_stable_and_valid():
    ids = ClientOrderIds("abc123")
    assert ids.make(1, 7, "openl") == ids.make(1, 7, "openl")  # a retry reuses the id
    assert ids.make(1, 7, "openl") != ids.make(1, 8, "openl")
    oid = ids.make(12, 123456, "closeall999")
    assert len(oid) < 36
    assert all(c.isalnum() or c == "-" for c in oid)
    assert ClientOrderIds().env_id != ClientOrderIds().env_id  # two env instances never collide
    with pytest.raises(ValueError, match="env_id"):
        ClientOrderIds("bad id!")


def test_env_ids_are_ascii_only():
    # "é".isalnum() is True, but a venue refuses non-ASCII client ids.
    with pytest.raises(ValueError, match="ASCII"):
        ClientOrderIds("abé")


def test_a_venues_own_codes_win_over_ccxts_class():
    # ccxt maps Binance's -2019 to InsufficientFunds only on Binance's hosts; elsewhere it is generic.
    err = ccxt.ExchangeError('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}')
    with (
        pytest.raises(InsufficientMargin) as e,
        translate_errors(None, "binance", "create_order", order=True, codes={"-2019": "insufficient_margin"}),
    ):
        raise err
    assert e.value.code == "-2019"
    assert e.value.__cause__ is err
    with pytest.raises(OrderRejected) as e, translate_errors(None, "binance", "create_order", order=True):
        raise err
    assert not isinstance(e.value, InsufficientMargin)


def _quick_retrier() -> Retrier:
    return Retrier(RetryPolicy(attempts=4, initial_s=0.0, max_s=0.0, jitter_s=0.0), sleep=lambda _s: None)


def test_a_refused_resend_after_an_ambiguous_attempt_finds_the_landed_order():
    """The first attempt timed out but landed (seen only later); the venue refuses the resend because
    of it (Binance's -4130 for a second closePosition stop): the order is found, not reported refused."""
    from torchtrade.envs.live.shared.placement import place_once

    venue: list[str] = []
    sends = iter(
        [TransientVenueError("timed out"), OrderRejected("-4130 existing closePosition", code="-4130")]
    )

    def send() -> str:
        err = next(sends)
        if isinstance(err, TransientVenueError):
            venue.append("cid")  # it lands after the client gave up
        raise err

    looks = iter([None, "cid"])  # not visible yet at the first look-up, there at the second
    found = place_once(_quick_retrier(), send, lambda: next(looks), client_oid="cid", venue="test")
    assert found == "cid"
    assert venue == ["cid"]


def test_a_refusal_without_an_ambiguous_attempt_stays_a_refusal():
    from torchtrade.envs.live.shared.placement import place_once

    looked: list[int] = []

    def send() -> str:
        raise OrderRejected("-2019 margin is insufficient", code="-2019")

    with pytest.raises(OrderRejected):
        place_once(_quick_retrier(), send, lambda: looked.append(1), client_oid="cid", venue="test")
    assert looked == []  # nothing could have landed: no look-up
