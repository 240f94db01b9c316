"""What every emulated venue's wire shares, whatever its field names and codes.

A venue package (``venues/<name>/``) is a thin layer of facts and quirks over these:

* :mod:`.routing`: declaring routes on a class, collecting them as :class:`~..http.RouteSpec`,
  reading query, JSON and form parameters and listing the names a route ignored;
* :mod:`.numbers`: venue numbers as text (plain notation, bounded decimals);
* :mod:`.market`: market data derived from the replay (24 h statistics, a synthetic book, candle
  windows and their row cache, funding instants, a synthetic public tape, open interest);
* :mod:`.positions`: position reads that a ``stale_position`` fault answers from the last answer;
* :mod:`.closed_positions`: an account's closed positions and their totals (positions history);
* :mod:`.limits`: a request-weight meter with fixed windows and escalating bans;
* :mod:`.pages`: the HTML page a load balancer answers with a 5xx;
* :mod:`.instruments`: contract specs for a market a venue's table does not know;
* :mod:`.symbols`: reading a perpetual's symbol (unified or venue id);
* :mod:`.errors`: the error answer every wire raises (each venue subclasses it).

Nothing here names a venue's fields or error codes; those stay in the venue's ``wire.py`` and
``errors.py``.
"""
