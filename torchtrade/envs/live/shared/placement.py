"""Placing an order exactly once, whatever the network does: the logic every venue's trader shares.

A venue is reached through its SDK (ccxt, alpaca-py); what the SDK calls look like differs, the
algorithm does not:

* every order carries the caller's client order id, and every attempt reuses it;
* a transient failure while placing (timeout, reset, 5xx, 429) is *ambiguous*: the order may have
  landed. The order is looked up by its client id before anything is resent; on a venue that would
  accept a resend of a filled order (its ids are unique only while an order is open), a lookup that
  finds nothing is repeated once after a pause;
* a resend the venue refuses as a duplicate id is resolved the same way (the order is found);
* a resend the venue refuses for any other reason after an ambiguous attempt is looked up once more
  before it counts as refused: the refusal may be the landed first attempt's doing (Binance allows one
  closePosition stop per side and refuses the second with -4130, whatever its client id);
* what the retries could not settle becomes an ``unknown`` outcome, a venue refusal a ``rejected`` one
  with the venue's code: nothing raises into the env's step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ....errors import OrderRejected, TransientVenueError, VenueError
from ...core.account import OrderOutcome
from .retry import Retrier

logger = logging.getLogger(__name__)
T = TypeVar("T")


class DuplicateClientId(Exception):
    """Raised by a ``send`` attempt when the venue refuses the client order id as already used."""


def place_once(
    retrier: Retrier,
    send: Callable[[], T],
    find: Callable[[], T | None],
    *,
    client_oid: str,
    venue: str,
    recheck_pause_s: float | None = None,
) -> T:
    """Send an order until the venue has it exactly once; returns the venue's order.

    Args:
        retrier: retries transient failures.
        send: one attempt (translated to torchtrade errors; raises :class:`DuplicateClientId` when the
            venue refuses the id as used).
        find: the order with this client id, or None (retried while transient).
        client_oid: for logs.
        venue: for messages.
        recheck_pause_s: pause before a second lookup when the first finds nothing (venues whose ids
            are unique only while an order is open); None: one lookup.

    Raises:
        OrderRejected: the venue refused the order.
        TransientVenueError: the retries ran out and the venue never confirmed the order.
    """

    ambiguous = False  # an earlier attempt may have landed

    def once() -> T:
        nonlocal ambiguous
        try:
            return send()
        except OrderRejected:
            found = find() if ambiguous else None
            if found is None:
                raise
            logger.info("order %s was placed by an earlier attempt; the resend's refusal is moot", client_oid)
            return found
        except TransientVenueError:
            ambiguous = True
            # Ambiguous: the order may have reached the venue. Look before resending.
            found = find()
            if found is None and recheck_pause_s is not None:
                retrier.sleep(recheck_pause_s)
                found = find()
            if found is not None:
                logger.info("order %s was placed despite the error; not resending", client_oid)
                return found
            raise
        except DuplicateClientId:
            found = find()
            if found is None:
                raise OrderRejected(
                    f"duplicate client id {client_oid} but no such order", op="create_order", venue=venue
                ) from None
            logger.info("order %s was already placed by an earlier attempt", client_oid)
            return found

    return retrier.run(once)


def submit(
    place: Callable[[], T],
    find_quietly: Callable[[], T | None],
    order_id: Callable[[T], str | None],
    *,
    client_oid: str,
    action: str,
    amount: float,
    describe: str,
    venue: str,
) -> OrderOutcome:
    """The outcome of placing one order with :func:`place_once` (``place``), nothing raised.

    Args:
        place: places the order exactly once (see :func:`place_once`).
        find_quietly: the order by its client id, None when not found or not reachable.
        order_id: the venue's id of an order.
        client_oid / action / amount: what the outcome reports.
        describe: the order for logs (``"open_long buy 0.01 BTC/USDT:USDT"``).
        venue: for logs.
    """
    try:
        order = place()
    except OrderRejected as e:
        logger.warning(
            "%s rejected by %s (code %s, client id %s): %s", describe, venue, e.code, client_oid, e
        )
        return OrderOutcome(client_oid, action, "rejected", amount=amount, reason=str(e), code=e.code)
    except TransientVenueError as e:
        found = find_quietly()
        if found is not None:
            return _submitted(
                OrderOutcome(client_oid, action, "accepted", amount=amount, order_id=order_id(found)),
                describe,
                venue,
            )
        logger.error("%s: unconfirmed after retries (client id %s): %s", describe, client_oid, e)
        return OrderOutcome(client_oid, action, "unknown", amount=amount, reason=str(e), code=e.code)
    return _submitted(
        OrderOutcome(client_oid, action, "accepted", amount=amount, order_id=order_id(order)), describe, venue
    )


def _submitted(outcome: OrderOutcome, describe: str, venue: str) -> OrderOutcome:
    """An accepted order, logged: the one line a person watching the run sees for it."""
    logger.info(
        "order submitted: %s to %s (client id %s, order id %s)",
        describe,
        venue,
        outcome.client_oid,
        outcome.order_id,
    )
    return outcome


def quietly(find: Callable[[], Any]) -> Any:
    """``find()``, or None when the venue cannot say (any venue error)."""
    try:
        return find()
    except VenueError:
        return None
