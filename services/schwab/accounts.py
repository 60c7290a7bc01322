"""Account data over REST: numbers -> hashes, then positions, balances, orders and
transactions published under the hash (full account numbers never leave this module)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

from livedata.bus import Bus
from livedata.connections import REDIS_ERRORS
from livedata.exceptions import InvalidAccountEvent
from services.schwab import restmap
from services.schwab.rest import SchwabRest

log = logging.getLogger("livedata.schwab.accounts")

TRANSACTION_TYPES = (
    "TRADE,RECEIVE_AND_DELIVER,DIVIDEND_OR_INTEREST,ACH_RECEIPT,ACH_DISBURSEMENT,CASH_RECEIPT,"
    "CASH_DISBURSEMENT,ELECTRONIC_FUND,WIRE_OUT,WIRE_IN,JOURNAL,MEMORANDUM,MARGIN_CALL,"
    "MONEY_MARKET,SMA_ADJUSTMENT"
)
LOOKBACK = 86400.0
"""Orders and transactions of the last day."""
SEEN_ACTIVITY = 2000


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


class Accounts:
    """Polls account data and publishes it; orders and transactions only when new or changed."""

    def __init__(self, rest: SchwabRest, bus: Bus) -> None:
        self.rest, self.bus = rest, bus
        self.hashes: dict[str, str] = {}  # full number -> hash; never published
        self._orders: dict[Any, tuple] = {}
        self._transactions: set[Any] = set()
        self._activity: OrderedDict[str, None] = OrderedDict()

    def refresh_hashes(self) -> dict[str, str]:
        rows = self.rest.get("/trader/v1/accounts/accountNumbers")
        self.hashes = {str(row["accountNumber"]): row["hashValue"] for row in rows}
        return self.hashes

    def poll(self, with_orders: bool = True) -> None:
        """One cycle: positions and balances of every account, then orders and transactions."""
        if not self.hashes:
            self.refresh_hashes()
        for item in self.rest.get("/trader/v1/accounts", fields="positions"):
            account = item.get("securitiesAccount") or {}
            account_id = self.hashes.get(str(account.get("accountNumber")))
            if account_id is None:  # a newly linked account: learn its hash next cycle
                self.hashes = {}
                continue
            self.bus.publish_account("positions", account_id, restmap.positions(account))
            self.bus.publish_account("balances", account_id, restmap.balances(account))
        if with_orders:
            for account_id in list(self.hashes.values()):
                self._poll_orders(account_id)
                self._poll_transactions(account_id)

    def _poll_orders(self, account_id: str) -> None:
        now = time.time()
        orders = self.rest.get(
            f"/trader/v1/accounts/{account_id}/orders",
            fromEnteredTime=_iso(now - LOOKBACK),
            toEnteredTime=_iso(now),
        )
        for order in orders:
            mark = (order.get("status"), order.get("filledQuantity"))
            if self._orders.get(order.get("orderId")) != mark:
                self._orders[order.get("orderId")] = mark
                event = restmap.order_event(order, self.hashes)
                self.bus.publish_account("orders", account_id, event)

    def _poll_transactions(self, account_id: str) -> None:
        now = time.time()
        rows = self.rest.get(
            f"/trader/v1/accounts/{account_id}/transactions",
            startDate=_iso(now - LOOKBACK),
            endDate=_iso(now),
            types=TRANSACTION_TYPES,
        )
        for row in rows:
            if row.get("activityId") not in self._transactions:
                self._transactions.add(row.get("activityId"))
                event = {"source": "schwab", "transaction": restmap.scrub(row, self.hashes)}
                self.bus.publish_account("transactions", account_id, event)

    def publish_activity(self, items: list[dict[str, Any]]) -> None:
        """ACCT_ACTIVITY items -> `orders` events; repeats after a reconnect are dropped."""
        for item in items:
            account_id = self.hashes.get(item["account_number"])
            mark = f"{item['seq']}:{item['message_type']}:{item['data']}"
            if account_id is None or mark in self._activity:
                continue
            self._activity[mark] = None
            while len(self._activity) > SEEN_ACTIVITY:
                self._activity.popitem(last=False)
            try:
                event = restmap.activity_event(item, self.hashes)
                self.bus.publish_account("orders", account_id, event)
            except (InvalidAccountEvent, *REDIS_ERRORS) as exc:
                log.warning("account activity not published: %s", exc)
