"""Keeping the rollups (`stats.models`) as receipts arrive, in the upload's own transaction.

`record` adds a batch of accepted receipts and corrections: it sums them in memory by rollup key
(a product's rows twice: under the point and under `ALL_POINTS`; by day, month and quarter),
then adds each sum to its row with one upsert per table (`ON CONFLICT … DO UPDATE SET x = x +
excluded.x`), so two uploads racing on the same hour both count. Receipts of settlement 1 (приход)
add, of settlement 2 (возврат прихода) subtract; settlements 3 and 4 (расход, a shop buying from
a person) are not retail sales and the dashboard leaves them out.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openkassa.stats.models import ALL_POINTS, NO_CASHIER, NO_PRODUCT, PRODUCT_SPANS, HourFigures, ProductDay, span_start

SIGN = {1: 1, 2: -1}
"""How a receipt's settlement type (1054) counts in the figures; the rest are not counted."""

_HOUR_MEASURES = ("sales", "sales_sum", "returns", "returns_sum", "corrections", "corrections_sum", "cashless",
                  "discount", "revenue", "cost")
_PRODUCT_MEASURES = ("quantity", "revenue", "cost")


def record(session: Session, *, account_id: uuid.UUID, point_id: uuid.UUID, receipts: Iterable[dict],
           lines: Iterable[dict]) -> None:
    """Count accepted receipts and corrections (rows of `sales_documents`) and their lines (rows of `receipt_lines`)."""
    counted = {receipt["id"]: receipt for receipt in receipts
               if receipt["kind"] in ("receipt", "correction") and receipt["settlement"] in SIGN}
    if not counted:
        return
    cost_of: dict[uuid.UUID, int] = defaultdict(int)
    days: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_PRODUCT_MEASURES, 0))
    for line in lines:
        receipt = counted.get(line["document_id"])
        if receipt is None:
            continue
        sign = SIGN[receipt["settlement"]]
        cost_of[receipt["id"]] += line["cost"]
        product = days[(receipt["local_day"], line["product_id"] or NO_PRODUCT)]
        product["quantity"] += sign * line["quantity"]
        product["revenue"] += sign * line["amount"]
        product["cost"] += sign * line["cost"]
    hours: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_HOUR_MEASURES, 0))
    for receipt in counted.values():
        sign, total = SIGN[receipt["settlement"]], receipt["total"]
        figures = hours[(receipt["local_day"], receipt["local_hour"], receipt["cashier_id"] or NO_CASHIER)]
        if receipt["kind"] == "correction":
            figures["corrections"] += 1
            figures["corrections_sum"] += sign * total
        elif sign > 0:
            figures["sales"] += 1
            figures["sales_sum"] += total
        else:
            figures["returns"] += 1
            figures["returns_sum"] += total
        figures["revenue"] += sign * total
        figures["cashless"] += sign * receipt["electronic"]
        figures["discount"] += sign * receipt["discount"]
        figures["cost"] += sign * cost_of[receipt["id"]]
    key = dict(account_id=account_id, point_id=point_id)
    _add(session, HourFigures, _HOUR_MEASURES,
         [dict(key, day=day, hour=hour, cashier_id=cashier, **figures) for (day, hour, cashier), figures in hours.items()])
    spans = [(ProductDay, "day", days)] + [(table, column.key, _by_span(days, months))
                                          for table, column, months in PRODUCT_SPANS]
    for table, column, sums in spans:
        for point in (point_id, ALL_POINTS):
            _add(session, table, _PRODUCT_MEASURES,
                 [{"account_id": account_id, "point_id": point, column: start, "product_id": product, **figures}
                  for (start, product), figures in sums.items()])


def _by_span(days: dict[tuple, dict[str, int]], months: int) -> dict[tuple, dict[str, int]]:
    """Products' sums by day summed again by span of `months` months."""
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_PRODUCT_MEASURES, 0))
    for (day, product_id), figures in days.items():
        span = sums[(span_start(day, months), product_id)]
        for name in _PRODUCT_MEASURES:
            span[name] += figures[name]
    return sums


def _add(session: Session, table: type, measures: tuple[str, ...], rows: list[dict]) -> None:
    """Add each row's measures to the row with its key, making it when there is none (a Core
    executemany: the ORM's bulk path takes three times as long)."""
    if not rows:
        return
    connection = session.connection()
    columns = table.__table__.c
    statement = (pg_insert if connection.dialect.name == "postgresql" else sqlite_insert)(table.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.__table__.primary_key.columns],
        set_={name: columns[name] + statement.excluded[name] for name in measures})
    connection.execute(statement, rows)
