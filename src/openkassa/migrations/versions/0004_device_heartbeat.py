"""points: what a register reports of its fiscal drive's queue to the OFD

- `devices.unsent_documents`: fiscal documents its drive holds that the OFD has not acknowledged;
- `devices.oldest_unsent_at`: the date of the oldest of them (at 30 days the drive forms nothing
  but closing reports);
- `devices.last_ofd_exchange_at`: when its drive last heard from the OFD.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsent_documents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("oldest_unsent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_ofd_exchange_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("last_ofd_exchange_at")
        batch_op.drop_column("oldest_unsent_at")
        batch_op.drop_column("unsent_documents")
