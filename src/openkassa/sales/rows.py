"""Reading a period's sales in bulk, for files of a million lines (`reports`).

The rows come from the caller's connection (a snapshot), streamed in batches, with ids and moments
raw as the driver gives them (a UUID as hex text on SQLite): converting a million UUIDs and
datetimes costs seconds, so the reader converts (`uuid_of`, `moment_of`) only what it shows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import BigInteger, cast, func, select, type_coerce
from sqlalchemy.sql.sqltypes import NullType

from openkassa.sales.models import ACCEPTED, ReceiptLine, SalesDocument

BATCH = 5_000


def made_within(first_day: date, last_day: date) -> list:
    """Conditions on `made_at` around local days: a day and a half either side covers every time
    zone, so a query by `local_day` can start from the time index."""
    return [SalesDocument.made_at >= datetime.combine(first_day - timedelta(days=1), time(), UTC),
            SalesDocument.made_at < datetime.combine(last_day + timedelta(days=2), time(), UTC)]


@dataclass(frozen=True)
class Scope:
    account_id: uuid.UUID
    point_ids: list[uuid.UUID] | None  # None: every point of the account
    first_day: date
    last_day: date


def _raw(column):
    """A column as the driver gives it (a UUID as hex text on SQLite), converted by the caller only when needed."""
    return type_coerce(column, NullType())


def _documents(scope: Scope, *kinds) -> list:
    """Accepted documents of the scope's local days."""
    where = [SalesDocument.account_id == scope.account_id, SalesDocument.status == ACCEPTED,
             *made_within(scope.first_day, scope.last_day), SalesDocument.local_day.between(scope.first_day, scope.last_day),
             *kinds]
    if scope.point_ids is not None:
        where.append(SalesDocument.point_id.in_(scope.point_ids))
    return where


_SALES = (SalesDocument.kind == "receipt", SalesDocument.settlement.in_((1, 2)))


def counts(connection, scope: Scope) -> tuple[int, int, int]:
    """Receipt lines, corrections and cash operations of the scope."""
    lines = connection.scalar(select(func.count()).select_from(SalesDocument)
                              .join(ReceiptLine, ReceiptLine.document_id == SalesDocument.id)
                              .where(*_documents(scope, *_SALES)))
    kinds = dict(connection.execute(select(SalesDocument.kind, func.count()).where(
        *_documents(scope, SalesDocument.kind.in_(("correction", "cash_in", "cash_out"))))
        .group_by(SalesDocument.kind)).all())
    return lines, kinds.get("correction", 0), kinds.get("cash_in", 0) + kinds.get("cash_out", 0)


def lines(connection, scope: Scope) -> Iterator:
    """Each line of the scope's sales and returns with its receipt's details, in the order they were made."""
    document = SalesDocument
    result = connection.execute(
        select(_raw(document.id), _raw(document.point_id), _raw(document.device_id), _raw(document.made_at),
               document.shift, document.receipt_number, document.fiscal_number, document.settlement,
               _raw(document.cashier_id), document.total, document.cash, document.electronic,
               document.advance + document.credit + document.other, document.discount,
               ReceiptLine.position, ReceiptLine.name, ReceiptLine.price, ReceiptLine.quantity, ReceiptLine.discount,
               ReceiptLine.amount, ReceiptLine.vat, ReceiptLine.cost)
        .join(ReceiptLine, ReceiptLine.document_id == document.id)
        .where(*_documents(scope, *_SALES))
        .order_by(document.made_at, document.id, ReceiptLine.position)
        .execution_options(yield_per=BATCH))
    for batch in result.partitions():
        yield from batch


def _reason(body: object) -> str:
    if isinstance(body, str):  # a JSON column read raw
        try:
            body = json.loads(body)
        except ValueError:
            return ""
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    return reason if isinstance(reason, str) else ""


def corrections(connection, scope: Scope) -> Iterator:
    """The scope's correction receipts, each with the cost of its lines and its reason, in the order made."""
    document = SalesDocument
    cost = (select(cast(func.coalesce(func.sum(ReceiptLine.cost), 0), BigInteger))  # PostgreSQL's SUM is numeric
            .where(ReceiptLine.document_id == document.id).scalar_subquery())
    result = connection.execute(
        select(_raw(document.point_id), _raw(document.device_id), _raw(document.made_at), document.shift,
               document.fn_serial, document.fiscal_number, document.receipt_number, document.settlement,
               _raw(document.cashier_id), document.total, document.cash, document.electronic, document.advance,
               document.credit, document.other, document.discount, cost, document.body)
        .where(*_documents(scope, document.kind == "correction"))
        .order_by(document.made_at, document.id).execution_options(yield_per=BATCH))
    for batch in result.partitions():
        for *row, body in batch:
            yield (*row, _reason(body))


def cash_operations(connection, scope: Scope) -> Iterator:
    """The scope's cash in and cash out, with their reasons, in the order made."""
    document = SalesDocument
    result = connection.execute(
        select(_raw(document.point_id), _raw(document.device_id), _raw(document.made_at), document.shift,
               document.kind, document.total, _raw(document.cashier_id), document.body)
        .where(*_documents(scope, document.kind.in_(("cash_in", "cash_out"))))
        .order_by(document.made_at, document.id).execution_options(yield_per=BATCH))
    for batch in result.partitions():
        for *row, body in batch:
            yield (*row, _reason(body))


def uuid_of(raw: object) -> uuid.UUID | None:
    if raw is None or isinstance(raw, uuid.UUID):
        return raw
    return uuid.UUID(hex=raw)


def moment_of(raw: object) -> datetime:
    moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


