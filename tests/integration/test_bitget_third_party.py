"""What third-party clients (freqtrade and other ccxt bots) read from the Bitget emulator.

Through an unmodified ccxt.bitget over HTTP: position tiers, public trades, open interest, mark
price, closed positions, funding and the account ledger, each a complete unified structure whose
numbers are computed here independently (from the bundled data file and the venue's formulas).
The last test replays, through plain ccxt, the calls freqtrade 2026.9 made on the emulator in a
live futures run (``freqtrade trade``, dry_run off), so CI covers that client without installing it.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pandas as pd
import pytest

from tests.conftest import BTC, bundled_frame
from torchtrade.emulator.clients import ccxt_client

D = Decimal
ETH = "ETH/USDT:USDT"
MIN_MS = 60_000
HOUR_MS = 3_600_000
TAKER = D("0.0006")
RATE = D("0.0001")  # the emulator's default funding rate
LOTS = {BTC: D("0.0001"), ETH: D("0.01")}
MAX_ORDER_QTY = D(1_000_000)


def ms(ts: pd.Timestamp) -> int:
    return int(ts.value // 1_000_000)


def frame(symbol: str = BTC) -> pd.DataFrame:
    """A bundled file as the emulator replays it: every file's first bar opens with BTC's first."""
    df = bundled_frame(symbol)
    df.index = df.index - df.index[0] + bundled_frame(BTC).index[0]
    return df


def closed_bars(now_ms: int, symbol: str = BTC) -> pd.DataFrame:
    df = frame(symbol)
    return df[[ms(t) + MIN_MS <= now_ms for t in df.index]]


def last_close(now_ms: int, symbol: str = BTC) -> Decimal:
    return D(str(closed_bars(now_ms, symbol).iloc[-1].close))


def money(x: Decimal) -> Decimal:
    return x.quantize(D("1e-8"))


def floor_lot(x: Decimal, lot: Decimal) -> Decimal:
    return (x / lot).to_integral_value(ROUND_FLOOR) * lot


def bar_prints(i: int, t: int, bar, previous_close, lot: Decimal) -> list[tuple[int, int, float, float, str]]:
    """The prints of bar ``i`` (open time ``t``), oldest first: (id, ts, price, size, taker side).

    The documented rule (``emulator/venues/common/market.py``): open, first extreme, other extreme,
    close, a quarter of the bar apart, a quarter of the volume each (on the lot; the close takes
    the rest); a print below the previous one is a sell.
    """
    o, h, low, c, v = (D(str(x)) for x in (bar.open, bar.high, bar.low, bar.close, bar.volume))
    path = [o, low, h, c] if c >= o else [o, h, low, c]
    part = floor_lot(v / 4, lot)
    out = []
    prev = D(str(previous_close)) if previous_close is not None else o
    for k in range(4):
        size = part if k < 3 else v - 3 * part
        if size > 0:
            side = "sell" if path[k] < prev else "buy"
            out.append((4 * i + k + 1, t + k * 15_000, float(path[k]), float(size), side))
        prev = path[k]
    return out


def expected_tape(now_ms: int, symbol: str = BTC) -> list[tuple[int, int, float, float, str]]:
    """Every print of the bars closed at ``now_ms``, newest first."""
    bars = closed_bars(now_ms, symbol)
    out = []
    previous = None
    for i, (t, bar) in enumerate(bars.iterrows()):
        out.extend(bar_prints(i, ms(t), bar, previous, LOTS[symbol]))
        previous = bar.close
    return out[::-1]


def as_prints(trades: list[dict]) -> list[tuple[int, int, float, float, str]]:
    """ccxt answers oldest first; the expectation is newest first."""
    return [(int(t["id"]), t["timestamp"], t["price"], t["amount"], t["side"]) for t in trades][::-1]


def mark_at(t_ms: int, symbol: str = BTC) -> Decimal:
    """The engine's mark at an instant: the close of the last bar closed by then."""
    return last_close(t_ms, symbol)


def next_funding(now_ms: int) -> int:
    step = 8 * HOUR_MS
    return (now_ms // step + 1) * step


class TestPositionTiers:
    @pytest.mark.parametrize(("symbol", "lever", "mmr"), [(BTC, 125, 0.004), (ETH, 100, 0.005)])
    def test_one_tier_from_the_instruments_leverage_and_maintenance_rate(self, exchange, symbol, lever, mmr):
        now = exchange.fetch_time()
        (tier,) = exchange.fetch_market_leverage_tiers(symbol)
        cap = float((MAX_ORDER_QTY * last_close(now, symbol)).to_integral_value())
        base = symbol.split("/")[0]
        assert {k: v for k, v in tier.items() if k != "info"} == {
            "tier": 1,
            "symbol": symbol,
            "currency": base,
            "minNotional": 0.0,
            "maxNotional": cap,
            "maintenanceMarginRate": mmr,
            "maxLeverage": float(lever),
        }
        # The tier is what the venue enforces: its maximum leverage is accepted, one more is refused.
        exchange.set_leverage(lever, symbol)
        with pytest.raises(Exception, match="40797"):
            exchange.set_leverage(lever + 1, symbol)


class TestPublicTrades:
    def test_the_latest_trades_are_the_last_bars_prints(self, exchange, emulator):
        emulator.control.advance(bars=3)
        now = exchange.fetch_time()
        got = as_prints(exchange.fetch_trades(BTC, limit=10))
        assert got == expected_tape(now)[:10]
        trade = exchange.fetch_trades(BTC, limit=1)[0]
        assert trade["symbol"] == BTC
        assert trade["cost"] == pytest.approx(trade["price"] * trade["amount"])
        assert trade["timestamp"] < now  # only closed bars print

    def test_recent_fills_route(self, exchange, emulator):
        now = exchange.fetch_time()
        trades = exchange.fetch_trades(BTC, limit=500, params={"method": "publicMixGetV2MixMarketFills"})
        assert as_prints(trades) == expected_tape(now)[:100]  # the recent route serves at most 100
        assert emulator.control.ledger("request")[-1]["route"] == "public_fills"

    def test_since_until_and_paging_back_by_id(self, exchange):
        now = exchange.fetch_time()
        everything = expected_tape(now)
        since, until = now - 30 * MIN_MS, now - 10 * MIN_MS
        window = [p for p in everything if since <= p[1] <= until]
        got = as_prints(exchange.fetch_trades(BTC, since, 1000, {"until": until}))
        assert got == window
        first = exchange.fetch_trades(BTC, limit=7)
        before = min(int(t["id"]) for t in first)
        older = exchange.fetch_trades(BTC, limit=7, params={"idLessThan": before})
        assert as_prints(older + first) == everything[:14]

    def test_every_market_has_its_own_tape(self, exchange):
        now = exchange.fetch_time()
        assert as_prints(exchange.fetch_trades(ETH, limit=40)) == expected_tape(now, ETH)[:40]


class TestOpenInterestAndPrices:
    def test_open_interest_counts_every_accounts_open_positions(self, exchange, emulator):
        oi = exchange.fetch_open_interest(BTC)
        assert oi["openInterestAmount"] == 0.0
        assert oi["symbol"] == BTC
        assert oi["timestamp"] == exchange.fetch_time()
        emulator.control.add_account("oi-key", "oi-secret", "oi-pass", account="other")
        other = ccxt_client(
            emulator.url, credentials=_creds("oi-key", "oi-secret", "oi-pass"), enableRateLimit=False
        )
        other.load_markets()
        exchange.create_order(BTC, "market", "buy", 0.03)
        other.create_order(BTC, "market", "sell", 0.02)
        assert exchange.fetch_open_interest(BTC)["openInterestAmount"] == 0.05
        assert exchange.fetch_ticker(BTC)["info"]["holdingAmount"] == "0.05"
        exchange.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
        assert exchange.fetch_open_interest(BTC)["openInterestAmount"] == 0.04
        assert exchange.fetch_open_interest(ETH)["openInterestAmount"] == 0.0

    def test_mark_and_index_price_are_the_last_close(self, exchange, emulator):
        emulator.control.advance(bars=4)
        now = exchange.fetch_time()
        ticker = exchange.fetch_mark_price(BTC)
        last = float(last_close(now))
        assert (ticker["symbol"], ticker["markPrice"], ticker["indexPrice"]) == (BTC, last, last)
        assert ticker["timestamp"] == now
        assert ticker["info"]["price"] == ticker["info"]["markPrice"]

    def test_old_mark_and_index_candles_come_from_the_history_routes(self, exchange, emulator):
        df = bundled_frame()
        since = ms(df.index[0])
        want = [[ms(t), r.open, r.high, r.low, r.close] for t, r in df.iloc[:50].iterrows()]
        for price in ("mark", "index"):
            got = exchange.fetch_ohlcv(BTC, "1m", since, 50, {"price": price, "useHistoryEndpoint": True})
            assert [c[:5] for c in got] == want
        routes = [r["route"] for r in emulator.control.ledger("request")[-2:]]
        assert routes == ["history_mark_candles", "history_index_candles"]


class TestClosedPositions:
    def test_a_long_closed_in_two_steps_then_flipped_short(self, exchange, emulator):
        exchange.set_leverage(5, BTC)
        book = []

        def trade(side: str, qty: str, **params) -> Decimal:
            ticker = exchange.fetch_ticker(BTC)
            price = D(str(ticker["ask" if side == "buy" else "bid"]))
            exchange.create_order(BTC, "market", side, float(qty), params=params)
            book.append((side, D(qty), price))
            emulator.control.advance(bars=5)
            return price

        opened = exchange.fetch_time()
        e1 = trade("buy", "0.02")
        e2 = trade("buy", "0.01")
        funding_at = next_funding(exchange.fetch_time())
        emulator.control.advance(to=funding_at)  # the long pays one funding settlement
        x1 = trade("sell", "0.01", reduceOnly=True)
        flip = trade("sell", "0.05")  # closes the remaining 0.02 and opens a 0.03 short
        x3 = trade("buy", "0.03", reduceOnly=True)
        wallet = D(str(exchange.fetch_balance()["USDT"]["total"]))

        long_, short = sorted(exchange.fetch_positions_history([BTC]), key=lambda p: p["timestamp"])
        entry = (e1 * D("0.02") + e2 * D("0.01")) / D("0.03")
        close_avg = (x1 * D("0.01") + flip * D("0.02")) / D("0.03")
        pnl = money((x1 - entry) * D("0.01")) + money((flip - entry) * D("0.02"))  # settled per fill
        open_fee = (e1 * D("0.02") + e2 * D("0.01")) * TAKER
        close_fee = (x1 * D("0.01") + flip * D("0.02")) * TAKER
        funding = D("0.03") * mark_at(funding_at) * RATE
        info = long_["info"]
        assert (long_["side"], long_["symbol"], long_["hedged"], long_["marginMode"]) == (
            "long",
            BTC,
            False,
            "cross",
        )
        assert long_["contracts"] == 0.03
        assert D(info["openTotalPos"]) == D(info["closeTotalPos"]) == D("0.03")
        assert D(info["openAvgPrice"]) == entry.quantize(D("1e-5"))
        assert D(info["closeAvgPrice"]) == close_avg.quantize(D("1e-5"))
        assert D(info["pnl"]) == pnl
        assert long_["realizedPnl"] == float(pnl)
        assert D(info["openFee"]) == -open_fee.quantize(D("1e-8"))
        assert D(info["closeFee"]) == -close_fee.quantize(D("1e-8"))
        assert D(info["totalFunding"]) == -funding.quantize(D("1e-8"))
        assert long_["timestamp"] >= opened
        assert long_["lastUpdateTimestamp"] > long_["timestamp"]
        # The short: opened by the flip's other half, closed by the last buy.
        assert (short["side"], short["contracts"]) == ("short", 0.03)
        assert D(short["info"]["openAvgPrice"]) == flip
        assert D(short["info"]["closeAvgPrice"]) == x3
        assert D(short["info"]["pnl"]) == (flip - x3) * D("0.03")
        # Net profits add up to the wallet's change: nothing is lost or counted twice.
        net = sum(D(p["info"]["netProfit"]) for p in (long_, short))
        assert net == wallet - D(10_000)
        assert exchange.fetch_positions([BTC]) == []

    def test_paging_filters_and_hedge_mode(self, exchange, emulator):
        exchange.set_position_mode(True, BTC)
        for _ in range(3):
            exchange.create_order(BTC, "market", "buy", 0.01, params={"hedged": True})
            exchange.create_order(BTC, "market", "sell", 0.01, params={"hedged": True})
            emulator.control.advance(bars=2)
            exchange.close_position(BTC, "long")
            exchange.close_position(BTC, "short")
            emulator.control.advance(bars=2)
        exchange.create_order(ETH, "market", "sell", 0.1, params={"hedged": True})
        exchange.close_position(ETH, "short")
        everything = exchange.fetch_positions_history()
        assert len(everything) == 7
        assert all(p["hedged"] is True for p in everything)
        btc = exchange.fetch_positions_history([BTC])
        assert len(btc) == 6
        assert {p["side"] for p in btc} == {"long", "short"}
        newest = exchange.fetch_positions_history([BTC], limit=2)
        end_id = newest[-1]["id"]  # newest first, as the venue lists them
        rest = exchange.fetch_positions_history([BTC], params={"idLessThan": end_id})
        assert sorted(p["id"] for p in newest + rest) == sorted(p["id"] for p in btc)
        since = btc[2]["timestamp"]
        assert [p["id"] for p in exchange.fetch_positions_history([BTC], since)] == [
            p["id"] for p in btc if p["timestamp"] >= since
        ]


class TestFundingAndLedger:
    def test_funding_fees_reach_ccxt_through_the_bill_route(self, exchange, emulator):
        exchange.create_order(BTC, "market", "sell", 0.05)
        start = exchange.fetch_time()
        first = next_funding(start)
        emulator.control.advance(to=first + 8 * HOUR_MS)  # two settlements
        history = exchange.fetch_funding_history(BTC, since=start)
        assert [h["timestamp"] for h in history] == [first, first + 8 * HOUR_MS]
        for h, t in zip(history, (first, first + 8 * HOUR_MS), strict=True):
            assert (h["symbol"], h["code"]) == (BTC, "USDT")
            assert D(str(h["amount"])) == (D("0.05") * mark_at(t) * RATE).quantize(D("1e-8"))  # shorts earn
            assert h["id"]
        # ccxt sends marginCoin to the bill route; Bitget ignores it there, and so does the emulator.
        bills = [r for r in emulator.control.ledger("request") if r["route"] == "bills"]
        assert {r["status"] for r in bills} == {200}
        assert bills[-1]["ignored"] == ["marginCoin"]

    def test_the_ledger_has_every_wallet_change(self, exchange, emulator):
        emulator.control.advance(bars=1)  # after the deposit, so that ccxt's sort by time keeps the order
        exchange.create_order(BTC, "market", "buy", 0.01)
        emulator.control.advance(bars=3)
        exchange.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
        entries = exchange.fetch_ledger("USDT")
        assert [e["type"] for e in entries] == ["transfer", "trade", "trade"]
        wallet = exchange.fetch_balance()["USDT"]["total"]
        assert entries[-1]["after"] == pytest.approx(wallet)
        for e in entries:
            assert e["currency"] == "USDT"
            assert e["id"]
            assert e["timestamp"]
            assert e["before"] + (e["amount"] if e["direction"] == "in" else -e["amount"]) == pytest.approx(
                e["after"]
            )

    def test_funding_intervals_of_every_market(self, exchange):
        intervals = exchange.fetch_funding_intervals()
        assert set(intervals) == {BTC, ETH}
        assert all(i["interval"] == "8h" for i in intervals.values())
        assert exchange.fetch_funding_interval(BTC)["interval"] == "8h"


class TestPaging:
    def test_my_trades_with_ccxts_pagination(self, exchange, emulator):
        since = exchange.fetch_time()
        for _ in range(6):
            exchange.create_order(BTC, "market", "buy", 0.01)
            emulator.control.advance(bars=1)
        trades = exchange.fetch_my_trades(BTC, since, params={"paginate": True})
        assert len(trades) == 6
        # ccxt asks for 1000 a page; the route serves its maximum (100) for that.
        pages = [r for r in emulator.control.ledger("request") if r["route"] == "fills"]
        assert {r["status"] for r in pages} == {200}

    def test_a_limit_past_every_page_is_refused(self, exchange):
        with pytest.raises(Exception, match="40020"):
            exchange.fetch_my_trades(BTC, limit=1001)


def _creds(key: str, secret: str, passphrase: str):
    from torchtrade.emulator.venues.base import Credentials

    return Credentials(api_key=key, api_secret=secret, passphrase=passphrase)


# ----------------------------------------------------------------------------- freqtrade's calls

FREQTRADE_ROUTES_AT_START = [
    # load_markets
    "coins",
    "uta_settings",  # refused on purpose: a classic account
    "spot_symbols",
    "margin_currencies",
    *["contracts"] * 6,
    "time",  # the clock check
    "position_tiers",  # leverage tiers, one market after the other
    "position_tiers",
    "set_position_mode",  # one-way, in additional_exchange_init
    "accounts",
    "all_positions",
]


def freqtrade_client(url: str):
    """ccxt.bitget as freqtrade builds it: its keys and ``ccxt_config`` (the URLs), nothing else."""
    import ccxt

    exchange = ccxt.bitget(
        {
            "apiKey": "emulator-key",
            "secret": "emulator-secret",
            "password": "emulator-passphrase",
            "options": {"defaultType": "swap"},
            "enableRateLimit": False,
            "urls": {"api": dict.fromkeys(ccxt.bitget().urls["api"], url)},
        }
    )
    return exchange


class TestFreqtradeCallSequence:
    """The ccxt calls an unmodified freqtrade 2026.9 made in a live (dry_run off) isolated-futures
    run on the emulator, in its order: start-up, an entry with leverage, a stop-loss on the venue,
    funding, an exit, the stop-loss cancelled; and a stop-loss the venue triggers."""

    def test_start_up(self, emulator):
        ex = freqtrade_client(emulator.url)
        ex.load_markets()
        ex.fetch_time()
        tiers = {pair: ex.fetch_market_leverage_tiers(pair) for pair in (BTC, ETH)}
        ex.set_position_mode(False)
        ex.fetch_balance()
        ex.fetch_positions()
        requests = emulator.control.ledger("request")
        assert [r["route"] for r in requests] == FREQTRADE_ROUTES_AT_START
        assert [r["status"] for r in requests if r["route"] != "uta_settings"] == [200] * 15
        # What capped every trade at 1x before the tiers were served: freqtrade's max leverage.
        assert tiers[BTC][0]["maxLeverage"] == 125
        assert tiers[ETH][0]["maxLeverage"] == 100

    def test_a_long_with_its_stop_loss_then_an_exit(self, emulator):
        ex = freqtrade_client(emulator.url)
        ex.load_markets()
        ex.fetch_ohlcv(BTC, "1m", limit=1000)
        since = ex.fetch_time()
        ask = ex.fetch_order_book(BTC, 1)["asks"][0][0]
        amount = float(floor_lot(D(200 * 5) / D(str(ask)), LOTS[BTC]))
        ex.set_margin_mode("isolated", BTC)
        ex.set_leverage(5, BTC)
        entry = ex.create_order(BTC, "market", "buy", amount, None, {"marginMode": "isolated"})
        assert ex.fetch_order(entry["id"], BTC)["status"] == "closed"
        stop_price = float(int(ask * 0.99))
        ex.set_margin_mode("isolated", BTC)
        ex.set_leverage(5, BTC)
        stop = ex.create_order(
            BTC, "market", "sell", amount, None, {"stopLossPrice": stop_price, "reduceOnly": True}
        )
        (listed,) = ex.fetch_open_orders(BTC, params={"planType": "profit_loss"})
        assert listed["id"] == stop["id"]
        assert listed["stopLossPrice"] == stop_price
        emulator.control.advance(to=next_funding(ex.fetch_time()))
        (fee,) = ex.fetch_funding_history(BTC, since)
        (pos,) = ex.fetch_positions([BTC])
        assert pos["leverage"] == 5
        assert pos["marginMode"] == "isolated"
        assert D(str(fee["amount"])) == -(D(str(amount)) * mark_at(fee["timestamp"]) * RATE).quantize(
            D("1e-8")
        )
        leave = ex.create_order(
            BTC, "market", "sell", amount, None, {"marginMode": "isolated", "reduceOnly": True}
        )
        assert ex.fetch_order(leave["id"], BTC)["filled"] == amount
        # The venue cancelled the position's stop-loss with the position; freqtrade's cancel is a no-op.
        ex.cancel_order(stop["id"], BTC, {"stop": True, "planType": "pos_loss"})
        history = ex.fetch_canceled_and_closed_orders(BTC, params={"planType": "profit_loss"})
        assert [o["status"] for o in history if o["id"] == stop["id"]] == ["canceled"]
        trades = ex.fetch_my_trades(BTC, since)
        assert [t["side"] for t in trades] == ["buy", "sell"]
        assert ex.fetch_positions([BTC]) == []
        failed = [r for r in emulator.control.ledger("request") if r["status"] != 200]
        assert [r["route"] for r in failed] == ["uta_settings"]

    def test_a_short_stopped_out_by_the_venue(self, emulator):
        ex = freqtrade_client(emulator.url)
        ex.load_markets()
        bid = ex.fetch_order_book(ETH, 1)["bids"][0][0]
        ex.set_margin_mode("isolated", ETH)
        ex.set_leverage(5, ETH)
        entry = ex.create_order(ETH, "market", "sell", 2.0, None, {"marginMode": "isolated"})
        stop_price = round(bid * 1.002, 2)
        stop = ex.create_order(
            ETH, "market", "buy", 2.0, None, {"stopLossPrice": stop_price, "reduceOnly": True}
        )
        for _ in range(200):  # until a bar trades through the stop
            if not ex.fetch_positions([ETH]):
                break
            emulator.control.advance(bars=5)
        assert ex.fetch_positions([ETH]) == []
        # freqtrade's fetch_stoploss_order: not open any more, then closed in the plan history...
        assert ex.fetch_open_orders(ETH, params={"planType": "profit_loss"}) == []
        (done,) = [o for o in ex.fetch_canceled_and_closed_orders(ETH, params={"planType": "profit_loss"})]
        assert done["id"] == stop["id"]
        assert done["status"] == "closed"
        # ...with the fill freqtrade books as the exit: the venue's fill of the order it placed.
        fills = [t for t in ex.fetch_my_trades(ETH) if t["order"] != entry["id"]]
        (fill,) = fills
        assert done["average"] == fill["price"]
        assert done["filled"] == fill["amount"] == 2.0
        ex.fetch_canceled_and_closed_orders(ETH)
        ex.fetch_open_orders(ETH)
        failed = [r for r in emulator.control.ledger("request") if r["status"] != 200]
        assert [r["route"] for r in failed] == ["uta_settings"]
