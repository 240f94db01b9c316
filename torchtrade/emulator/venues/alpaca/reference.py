"""What alpaca-py 0.44.0 sends and parses: the specification the Alpaca wire is built and tested against.

Captured by running every client method below against a recording HTTP server (``url_override``
pointed at it) and read from ``alpaca/common/rest.py``, ``alpaca/trading/{client,requests,models}.py``,
``alpaca/data/historical/{stock,crypto}.py`` and ``alpaca/data/{requests,models}``.

**Hosts and paths.** ``TradingClient`` sends to ``<base>/v2<path>`` (paper
``https://paper-api.alpaca.markets``, live ``https://api.alpaca.markets``: the same routes, the keys
decide the account); ``StockHistoricalDataClient`` to ``<base>/v2<path>`` and
``CryptoHistoricalDataClient`` to ``<base>/v1beta3<path>`` (both ``https://data.alpaca.markets``,
sandbox ``data.sandbox.alpaca.markets``). With ``url_override`` every client uses the one base given,
so one emulator URL serves the trading and the data routes: no path of one API is a path of the other.

**Headers.** ``APCA-API-KEY-ID`` and ``APCA-API-SECRET-KEY`` on every request (``use_basic_auth=True``:
``Authorization: Basic base64(key:secret)`` instead); ``User-Agent: APCA-PY/0.44.0 Python/x.y.z``.
``CryptoHistoricalDataClient()`` may be built without keys: it then sends no key headers at all
(Alpaca's crypto data needs no authentication). GET/DELETE parameters go in the query string, POST/PATCH
bodies are JSON. The client retries a 429 or a 504 three times, 3 s apart, then raises ``APIError``
(``.code``/``.message`` read from the JSON body, ``.status_code`` from the response).

**Trading routes** (method, path, parameters as sent -> the model parsed):

=============================  =======================================================  ===================
``get_account``                GET /v2/account                                          ``TradeAccount``
``get_clock``                  GET /v2/clock                                            ``Clock``
``get_calendar``               GET /v2/calendar ?start=2024-01-02&end=2024-01-31         ``list[Calendar]``
``get_all_assets``             GET /v2/assets ?status=active&asset_class=us_equity       ``list[Asset]``
                               (also exchange, attributes)
``get_asset``                  GET /v2/assets/{symbol | uuid} (``BTC/USD`` keeps its     ``Asset``
                               slash: ``/v2/assets/BTC/USD``)
``submit_order``               POST /v2/orders {symbol, qty | notional, side, type,     ``Order``
                               time_in_force, limit_price, stop_price, extended_hours,
                               client_order_id, order_class, take_profit{limit_price},
                               stop_loss{stop_price, limit_price}, trail_price,
                               trail_percent, position_intent}: numbers as JSON
                               numbers (``"qty": 1.5``, ``2.0``), booleans as JSON
``get_orders``                 GET /v2/orders ?status=all&limit=10&after=<RFC-3339>     ``list[Order]``
                               &until=..&direction=asc&nested=True&side=buy
                               &symbols=SPY,BTC/USD (``True``: Python's spelling)
``get_order_by_id``            GET /v2/orders/{uuid} ?nested=True                        ``Order``
``get_order_by_client_id``     GET /v2/orders:by_client_order_id ?client_order_id=..    ``Order``
``replace_order_by_id``        PATCH /v2/orders/{uuid} {qty (int), time_in_force,       ``Order``
                               limit_price, stop_price, trail, client_order_id}
``cancel_orders``              DELETE /v2/orders                                         ``list[CancelOrder
                                                                                        Response]`` (207)
``cancel_order_by_id``         DELETE /v2/orders/{uuid}                                  nothing (204)
``get_all_positions``          GET /v2/positions                                         ``list[Position]``
``get_open_position``          GET /v2/positions/{symbol | uuid} (``BTC/USD`` keeps      ``Position``
                               its slash; Alpaca finds crypto positions as ``BTCUSD``)
``close_position``             DELETE /v2/positions/{symbol | uuid} ?qty=1.5 |           ``Order``
                               ?percentage=50
``close_all_positions``        DELETE /v2/positions [?cancel_orders=True]                ``list[ClosePosition
                                                                                        Response]`` (207)
=============================  =======================================================  ===================

More trading routes (method -> request -> model):

* ``exercise_options_position``: POST /v2/positions/{symbol | id}/exercise, no body -> nothing.
* ``get_account_configurations``: GET /v2/account/configurations -> ``AccountConfiguration``;
  ``set_account_configurations``: PATCH with every field of the model, unset ones as null
  (``{"dtbp_check": null, "fractional_trading": true, "max_margin_multiplier": "4", ...}``).
* ``get_portfolio_history``: GET /v2/account/portfolio/history with only the fields set, e.g.
  ``?period=1W&timeframe=15Min&intraday_reporting=continuous&pnl_reset=no_reset&date_end=2024-01-05
  &extended_hours=True`` or ``?start=<RFC-3339>&end=<RFC-3339>`` -> ``PortfolioHistory``.
* Watchlists -> ``Watchlist`` (the list: ``list[Watchlist]``): GET /v2/watchlists; POST /v2/watchlists
  ``{name, symbols: [...]}``; GET, PUT ``{name?, symbols?}``, POST ``{symbol}`` (add) and DELETE on
  /v2/watchlists/{uuid}; DELETE /v2/watchlists/{uuid}/{symbol} (remove; ``BTC/USD`` keeps its slash).
* ``get_corporate_announcements`` (deprecated in alpaca-py): GET /v2/corporate_actions/announcements
  ``?ca_types=dividend,split&since=2024-01-01&until=2024-02-01[&symbol&cusip&date_type]`` ->
  ``list[CorporateActionAnnouncement]``; ``get_corporate_announcement_by_id``: GET .../{uuid}.
* ``get_option_contracts``: GET /v2/options/contracts ``?underlying_symbols=SPY,QQQ&status=active
  [&type&style&expiration_date[_gte|_lte]&root_symbol&strike_price_gte|lte&limit&page_token]`` ->
  ``OptionContractsResponse``; ``get_option_contract``: GET /v2/options/contracts/{symbol | id}.

Order/asset/account ids are UUIDs (the models refuse anything else). Timestamps in answers are
RFC-3339; decimal amounts of the trading API are strings (``"qty": "1.5"``, ``"buying_power"``), asset
sizes (``min_order_size``...) strings read as floats. ``Calendar`` reads ``open``/``close`` as ``%H:%M``.
``Order.__init__`` takes ``order_class`` ``""`` as ``simple``.

**Market data routes** (``_get_marketdata`` pages: it sends ``limit`` = what is left of the caller's
limit, at most 10,000, and ``page_token`` from the previous answer's ``next_page_token`` until that is
null; start/end go out as RFC-3339 UTC ``2024-01-02T14:30:00+00:00``):

==============================  =====================================================================
``get_stock_bars``              GET /v2/stocks/bars ?symbols=SPY,AAPL&timeframe=5Min&start&end&limit
                                &sort=asc|desc&feed=iex&adjustment=raw[&asof&currency&page_token]
                                -> ``{"bars": {"SPY": [{t,o,h,l,c,v,n,vw}]}, "next_page_token"}``
``get_stock_latest_bar``        GET /v2/stocks/bars/latest ?symbols=SPY[&feed] -> ``{"bars": {"SPY": {..}}}``
``get_stock_latest_trade``      GET /v2/stocks/trades/latest ?symbols
                                -> ``{"trades": {"SPY": {t,x,p,s,c,i,z}}}``
``get_stock_latest_quote``      GET /v2/stocks/quotes/latest ?symbols
                                -> ``{"quotes": {"SPY": {t,ax,ap,as,bx,bp,bs,c,z}}}``
``get_crypto_bars``             GET /v1beta3/crypto/us/bars ?symbols=BTC/USD,ETH/USD&timeframe=1Hour
                                &start&end&limit&sort[&page_token] (same answer shape)
``get_crypto_latest_bar``       GET /v1beta3/crypto/us/latest/bars ?symbols -> ``{"bars": {..}}``
``get_crypto_latest_trade``     GET /v1beta3/crypto/us/latest/trades ?symbols -> ``{"trades": {..}}``
``get_crypto_latest_quote``     GET /v1beta3/crypto/us/latest/quotes ?symbols -> ``{"quotes": {..}}``
==============================  =====================================================================

More market data routes:

* ``get_stock_trades`` / ``get_stock_quotes`` (paged as the bars): GET /v2/stocks/trades and
  /v2/stocks/quotes ``?symbols&start&end&limit&sort&feed[&asof&currency&page_token]`` ->
  ``{"trades": {"SPY": [{t,x,p,s,c,i,z}]}, "next_page_token"}`` and
  ``{"quotes": {"SPY": [{t,ax,ap,as,bx,bp,bs,c,z}]}, "next_page_token"}``.
* ``get_crypto_trades`` / ``get_crypto_quotes``: GET /v1beta3/crypto/us/trades and .../quotes
  ``?symbols&start&end&limit&sort[&page_token]``, trades as ``{t,p,s,i,tks}``.
* ``get_stock_snapshot``: GET /v2/stocks/snapshots ``?symbols[&feed&currency]`` -> the symbols at the
  top level, ``{"SPY": {latestTrade, latestQuote, minuteBar, dailyBar, prevDailyBar}}``;
  ``get_crypto_snapshot``: GET /v1beta3/crypto/us/snapshots ``?symbols`` -> ``{"snapshots": {..}}``.
* ``get_crypto_latest_orderbook``: GET /v1beta3/crypto/us/latest/orderbooks ``?symbols`` ->
  ``{"orderbooks": {"BTC/USD": {"t", "b": [{"p", "s"}], "a": [..]}}}``.

``timeframe`` is ``<n><unit>`` with unit ``Min``, ``Hour``, ``Day``, ``Week`` or ``Month``. Bar fields
``n`` and ``vw`` are required by ``Bar`` (may be null); data numbers are JSON numbers.
"""
