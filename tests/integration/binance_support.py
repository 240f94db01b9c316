"""Shared by the Binance wire tests: independently signed raw requests, error codes of ccxt errors.

Raw requests are signed here from Binance's documented rule (``hex(HMAC-SHA256(secret, query +
body))``, the ``signature`` parameter last), independently of the emulator's code, with the
emulator's default keys, so every byte reaches the venue as written.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from typing import Any

import requests

KEY, SECRET = "emulator-key", "emulator-secret"
BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"
TIMEOUT = (2, 5)  # connect, read (s): a hang fails the test instead of stalling it


def sign(query: str) -> str:
    return hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()


def raw(
    base: str,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    signed: bool = True,
    key: str | None = KEY,
    timestamp: Any = None,
    in_body: bool | None = None,
    session: requests.Session | None = None,
    spoil_signature: bool = False,
) -> requests.Response:
    """One request as Binance's documentation says to send it (form body for POST by default)."""
    items = [(k, v if isinstance(v, str) else str(v)) for k, v in (params or {}).items()]
    if signed:
        ts = str(int(time.time() * 1000)) if timestamp is None else str(timestamp)
        items.append(("timestamp", ts))
    query = urllib.parse.urlencode(items, errors="surrogatepass")
    if signed:
        signature = sign(query)
        if spoil_signature:
            signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        query += "&signature=" + signature
    body = in_body if in_body is not None else method in ("POST", "PUT")
    headers = {"X-MBX-APIKEY": key} if key is not None else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    http = session or requests
    url = base + path + ("" if body or not query else "?" + query)
    return http.request(method, url, data=query if body else None, headers=headers, timeout=TIMEOUT)


def code_of(error: Exception) -> int | None:
    """The Binance code in a ccxt error's message (``binanceusdm {"code":-2019,...}``)."""
    text = str(error)
    marker = '"code":'
    at = text.find(marker)
    if at < 0:
        return None
    digits = text[at + len(marker) :].split(",", 1)[0].strip()
    return int(digits)


# Stand-ins for the ids of the orders a scene places (tests fill them in).
ORDER_ID, ALGO_ID, CLIENT_ID = "<order>", "<algo>", "<client-id>"
SYM = {"symbol": "BTCUSDT"}
WINDOW = ("startTime", "endTime", "limit")
MARKET_ORDER = {**SYM, "side": "BUY", "type": "MARKET", "quantity": "0.01"}
STOP_ORDER = {
    **SYM,
    "algoType": "CONDITIONAL",
    "side": "SELL",
    "type": "STOP_MARKET",
    "triggerPrice": "15000",
    "quantity": "0.01",
    "reduceOnly": "true",
}
# (route name, method, path, signed, a valid request, the optional parameters it reads): every route.
ROUTES: list[tuple[str, str, str, bool, dict[str, Any], tuple[str, ...]]] = [
    ("ping", "GET", "/fapi/v1/ping", False, {}, ()),
    ("time", "GET", "/fapi/v1/time", False, {}, ()),
    ("exchange_info", "GET", "/fapi/v1/exchangeInfo", False, {}, ()),
    ("capital_config", "GET", "/sapi/v1/capital/config/getall", True, {}, ()),
    ("margin_pairs", "GET", "/sapi/v1/margin/allPairs", True, {}, ("symbol",)),
    ("klines", "GET", "/fapi/v1/klines", False, {**SYM, "interval": "1m", "limit": "5"}, WINDOW),
    ("mark_price_klines", "GET", "/fapi/v1/markPriceKlines", False, {**SYM, "interval": "5m"}, WINDOW),
    (
        "index_price_klines",
        "GET",
        "/fapi/v1/indexPriceKlines",
        False,
        {"pair": "BTCUSDT", "interval": "1h"},
        WINDOW,
    ),
    ("premium_index_klines", "GET", "/fapi/v1/premiumIndexKlines", False, {**SYM, "interval": "1m"}, WINDOW),
    ("ticker_24hr", "GET", "/fapi/v1/ticker/24hr", False, {}, ("symbol",)),
    ("ticker_price", "GET", "/fapi/v1/ticker/price", False, SYM, ()),
    ("ticker_price_v2", "GET", "/fapi/v2/ticker/price", False, {}, ("symbol",)),
    ("book_ticker", "GET", "/fapi/v1/ticker/bookTicker", False, SYM, ()),
    ("depth", "GET", "/fapi/v1/depth", False, {**SYM, "limit": "5"}, ()),
    ("premium_index", "GET", "/fapi/v1/premiumIndex", False, SYM, ()),
    ("funding_rate_history", "GET", "/fapi/v1/fundingRate", False, SYM, WINDOW),
    ("funding_info", "GET", "/fapi/v1/fundingInfo", False, {}, ()),
    ("open_interest", "GET", "/fapi/v1/openInterest", False, SYM, ()),
    ("trades", "GET", "/fapi/v1/trades", False, SYM, ("limit",)),
    ("agg_trades", "GET", "/fapi/v1/aggTrades", False, SYM, ("fromId", *WINDOW)),
    ("account_v3", "GET", "/fapi/v3/account", True, {}, ()),
    ("account_v2", "GET", "/fapi/v2/account", True, {}, ()),
    ("balance_v3", "GET", "/fapi/v3/balance", True, {}, ()),
    ("balance_v2", "GET", "/fapi/v2/balance", True, {}, ()),
    ("position_risk_v3", "GET", "/fapi/v3/positionRisk", True, {}, ("symbol",)),
    ("position_risk_v2", "GET", "/fapi/v2/positionRisk", True, SYM, ()),
    ("set_leverage", "POST", "/fapi/v1/leverage", True, {**SYM, "leverage": "5"}, ()),
    ("set_margin_type", "POST", "/fapi/v1/marginType", True, {**SYM, "marginType": "ISOLATED"}, ()),
    ("position_mode", "GET", "/fapi/v1/positionSide/dual", True, {}, ()),
    ("set_position_mode", "POST", "/fapi/v1/positionSide/dual", True, {"dualSidePosition": "true"}, ()),
    ("leverage_bracket", "GET", "/fapi/v1/leverageBracket", True, {}, ("symbol",)),
    ("commission_rate", "GET", "/fapi/v1/commissionRate", True, SYM, ()),
    ("symbol_config", "GET", "/fapi/v1/symbolConfig", True, {}, ("symbol",)),
    ("account_config", "GET", "/fapi/v1/accountConfig", True, {}, ()),
    ("multi_assets_margin", "GET", "/fapi/v1/multiAssetsMargin", True, {}, ()),
    ("income", "GET", "/fapi/v1/income", True, {}, ("symbol", "incomeType", "page", *WINDOW)),
    (
        "place_order",
        "POST",
        "/fapi/v1/order",
        True,
        MARKET_ORDER,
        (
            "price",
            "timeInForce",
            "newClientOrderId",
            "reduceOnly",
            "positionSide",
            "newOrderRespType",
            "selfTradePreventionMode",
            "priceMatch",
            "workingType",
            "goodTillDate",
        ),
    ),
    ("query_order", "GET", "/fapi/v1/order", True, {**SYM, "orderId": ORDER_ID}, ("origClientOrderId",)),
    (
        "query_open_order",
        "GET",
        "/fapi/v1/openOrder",
        True,
        {**SYM, "origClientOrderId": CLIENT_ID},
        ("orderId",),
    ),
    ("cancel_order", "DELETE", "/fapi/v1/order", True, {**SYM, "origClientOrderId": CLIENT_ID}, ("orderId",)),
    ("cancel_all_orders", "DELETE", "/fapi/v1/allOpenOrders", True, SYM, ()),
    ("open_orders", "GET", "/fapi/v1/openOrders", True, {}, ("symbol",)),
    ("all_orders", "GET", "/fapi/v1/allOrders", True, SYM, ("orderId", *WINDOW)),
    ("user_trades", "GET", "/fapi/v1/userTrades", True, SYM, ("orderId", "fromId", *WINDOW)),
    (
        "place_algo_order",
        "POST",
        "/fapi/v1/algoOrder",
        True,
        STOP_ORDER,
        (
            "price",
            "timeInForce",
            "clientAlgoId",
            "closePosition",
            "positionSide",
            "workingType",
            "priceProtect",
        ),
    ),
    ("query_algo_order", "GET", "/fapi/v1/algoOrder", True, {"algoId": ALGO_ID}, ("symbol", "clientAlgoId")),
    (
        "cancel_algo_order",
        "DELETE",
        "/fapi/v1/algoOrder",
        True,
        {**SYM, "algoId": ALGO_ID},
        ("clientAlgoId",),
    ),
    ("cancel_all_algo_orders", "DELETE", "/fapi/v1/algoOpenOrders", True, SYM, ()),
    ("open_algo_orders", "GET", "/fapi/v1/openAlgoOrders", True, {}, ("symbol", "algoType", "algoId")),
    ("all_algo_orders", "GET", "/fapi/v1/allAlgoOrders", True, SYM, ("algoId", "page", *WINDOW)),
]
ROUTES_BY_NAME = {route[0]: route for route in ROUTES}
