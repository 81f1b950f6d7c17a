"""Tables of the reports domain: a report someone asked for, the points it covers, its state while
the worker builds it, and what became of it (a file, or the reason it failed)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow

QUEUED = "queued"
BUILDING = "building"
DONE = "done"
FAILED = "failed"
WAITING = (QUEUED, BUILDING)


class Report(IdMixin, Base):
    """A sales report of some points over a period of local days, built into an .xlsx by the worker.

    `rows_total` is counted when the build starts (the rows of every sheet but the summary) and
    `rows_done` moves as they are written: the page's progress bar. `attempt` numbers the builds
    (a worker that dies midway is followed by another); only the latest may record its progress and
    its end. `heartbeat_at` is when the building worker last wrote its progress.
    """

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_account", "account_id", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_day: Mapped[date]
    last_day: Mapped[date]
    all_points: Mapped[bool]  # every point of the account, archived ones too
    email: Mapped[str] = mapped_column(String(254), default="")  # where the file is mailed; "" for nowhere
    language: Mapped[str] = mapped_column(String(5))  # of the sheets and the mail: the asker's
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)  # queued|building|done|failed
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    file_name: Mapped[str] = mapped_column(String(255), default="")  # the download's name
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    attempt: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


report_points = Table(
    "report_points",
    Base.metadata,
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("point_id", ForeignKey("retail_points.id", ondelete="CASCADE"), primary_key=True, index=True),
)
"""The points a report covers (for "all points": every point the account had when it was asked)."""
