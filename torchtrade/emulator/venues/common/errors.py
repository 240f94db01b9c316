"""The error answer every venue wire raises and its routes turn into the venue's JSON."""

from __future__ import annotations


class WireError(Exception):
    """A venue's error answer (each venue subclasses it with its ``code``, ``msg`` and ``status``).

    Raised anywhere in a route handler; :func:`~.routing.guarded` answers it.
    """

    code: object
    msg: str
    status: int
