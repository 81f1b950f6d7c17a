"""sales: the documents registers upload, their receipt lines, the software fiscal drives' keys

- `fiscal_drives`: the key each register's software drive signs with, to check fiscal signs;
- `sales_documents`: shifts, receipts, corrections, cash drawer operations and products made at the
  till, one row per register-made UUID; one acknowledged document per drive number;
- `receipt_lines`: the lines of accepted receipts and corrections.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('fiscal_drives',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('fn_serial', sa.String(length=16), nullable=False),
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_fiscal_drives_account_id_accounts')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_fiscal_drives_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_drives')),
    sa.UniqueConstraint('account_id', 'fn_serial', name=op.f('uq_fiscal_drives_account_id_fn_serial'))
    )
    with op.batch_alter_table('fiscal_drives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_drives_device_id'), ['device_id'], unique=False)

    op.create_table('sales_documents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('point_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('shift', sa.Integer(), nullable=True),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cashier_id', sa.Uuid(), nullable=True),
    sa.Column('settlement', sa.Integer(), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('cash', sa.BigInteger(), nullable=False),
    sa.Column('electronic', sa.BigInteger(), nullable=False),
    sa.Column('advance', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.BigInteger(), nullable=False),
    sa.Column('other', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('original_id', sa.Uuid(), nullable=True),
    sa.Column('fn_serial', sa.String(length=16), nullable=True),
    sa.Column('fiscal_number', sa.BigInteger(), nullable=True),
    sa.Column('receipt_number', sa.BigInteger(), nullable=True),
    sa.Column('fiscal_sign', sa.BigInteger(), nullable=True),
    sa.Column('tlv', sa.LargeBinary(), nullable=True),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('ofd_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ofd_sign', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_sales_documents_account_id_accounts')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sales_documents_device_id_devices')),
    sa.ForeignKeyConstraint(['point_id'], ['retail_points.id'], name=op.f('fk_sales_documents_point_id_retail_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_documents'))
    )
    with op.batch_alter_table('sales_documents', schema=None) as batch_op:
        batch_op.create_index('ix_sales_documents_point_made', ['account_id', 'point_id', 'made_at'], unique=False)
        batch_op.create_index('uq_sales_documents_fiscal_number', ['account_id', 'fn_serial', 'fiscal_number'], unique=True, sqlite_where=sa.text('ofd_sign IS NOT NULL'), postgresql_where=sa.text('ofd_sign IS NOT NULL'))

    op.create_table('receipt_lines',
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('vat', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_receipt_lines_account_id_accounts')),
    sa.ForeignKeyConstraint(['document_id'], ['sales_documents.id'], name=op.f('fk_receipt_lines_document_id_sales_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'position', name=op.f('pk_receipt_lines'))
    )
    with op.batch_alter_table('receipt_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_lines_product_id'), ['product_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('receipt_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_lines_product_id'))

    op.drop_table('receipt_lines')
    with op.batch_alter_table('sales_documents', schema=None) as batch_op:
        batch_op.drop_index('uq_sales_documents_fiscal_number', sqlite_where=sa.text('ofd_sign IS NOT NULL'), postgresql_where=sa.text('ofd_sign IS NOT NULL'))
        batch_op.drop_index('ix_sales_documents_point_made')

    op.drop_table('sales_documents')
    with op.batch_alter_table('fiscal_drives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fiscal_drives_device_id'))

    op.drop_table('fiscal_drives')

