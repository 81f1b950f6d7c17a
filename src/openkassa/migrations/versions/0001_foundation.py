"""foundation: accounts, points, devices, cashiers, catalogs, outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 05:10:57.373548
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('plan', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    op.create_table('rate_limit_attempts',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_attempts'))
    )
    with op.batch_alter_table('rate_limit_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_attempts_key_at', ['key', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rate_limit_attempts_at'), ['at'], unique=False)

    op.create_table('outbox_jobs',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_jobs'))
    )
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_jobs_due', ['status', 'run_after'], unique=False)

    op.create_table('cashiers',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('can_return', sa.Boolean(), nullable=False),
    sa.Column('can_discount', sa.Boolean(), nullable=False),
    sa.Column('can_change_price', sa.Boolean(), nullable=False),
    sa.Column('can_cash_drawer', sa.Boolean(), nullable=False),
    sa.Column('can_close_shift', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cashiers_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cashiers'))
    )
    with op.batch_alter_table('cashiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cashiers_account_id'), ['account_id'], unique=False)

    op.create_table('catalogs',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_catalogs_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogs'))
    )
    with op.batch_alter_table('catalogs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogs_account_id'), ['account_id'], unique=False)

    op.create_table('users',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_users_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_account_id'), ['account_id'], unique=False)

    op.create_table('products',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('catalog_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('vat', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_products_account_id_accounts')),
    sa.ForeignKeyConstraint(['catalog_id'], ['catalogs.id'], name=op.f('fk_products_catalog_id_catalogs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_products_catalog_name', ['catalog_id', 'name'], unique=False)

    op.create_table('retail_points',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('catalog_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('address', sa.String(length=256), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('tax_systems', sa.Integer(), nullable=False),
    sa.Column('default_tax_system', sa.Integer(), nullable=False),
    sa.Column('push_catalog_updates', sa.Boolean(), nullable=False),
    sa.Column('rounding', sa.Integer(), nullable=False),
    sa.Column('receipt_header', sa.Text(), nullable=False),
    sa.Column('receipt_footer', sa.Text(), nullable=False),
    sa.Column('carry_over_cash', sa.Boolean(), nullable=False),
    sa.Column('allow_deferred_receipts', sa.Boolean(), nullable=False),
    sa.Column('allow_price_change', sa.Boolean(), nullable=False),
    sa.Column('allow_return_without_receipt', sa.Boolean(), nullable=False),
    sa.Column('allow_free_price_sale', sa.Boolean(), nullable=False),
    sa.Column('pay_bonus_card', sa.Boolean(), nullable=False),
    sa.Column('pay_gift_certificate', sa.Boolean(), nullable=False),
    sa.Column('pay_advance', sa.Boolean(), nullable=False),
    sa.Column('allow_partial_payment', sa.Boolean(), nullable=False),
    sa.Column('allow_credit', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_retail_points_account_id_accounts')),
    sa.ForeignKeyConstraint(['catalog_id'], ['catalogs.id'], name=op.f('fk_retail_points_catalog_id_catalogs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retail_points'))
    )
    with op.batch_alter_table('retail_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retail_points_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_retail_points_catalog_id'), ['catalog_id'], unique=False)

    op.create_table('user_tokens',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_tokens_token_hash'))
    )
    with op.batch_alter_table('user_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('web_sessions',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('activation_codes',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('point_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_activation_codes_account_id_accounts')),
    sa.ForeignKeyConstraint(['point_id'], ['retail_points.id'], name=op.f('fk_activation_codes_point_id_retail_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_activation_codes_code'))
    )
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_codes_point_id'), ['point_id'], unique=False)

    op.create_table('cashier_points',
    sa.Column('cashier_id', sa.Uuid(), nullable=False),
    sa.Column('point_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['cashier_id'], ['cashiers.id'], name=op.f('fk_cashier_points_cashier_id_cashiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['retail_points.id'], name=op.f('fk_cashier_points_point_id_retail_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cashier_id', 'point_id', name=op.f('pk_cashier_points'))
    )
    op.create_table('devices',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('point_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('app_version', sa.String(length=40), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('fn_serial', sa.String(length=16), nullable=False),
    sa.Column('kkt_reg_number', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_devices_account_id_accounts')),
    sa.ForeignKeyConstraint(['point_id'], ['retail_points.id'], name=op.f('fk_devices_point_id_retail_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_point_id'), ['point_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_point_id'))
        batch_op.drop_index(batch_op.f('ix_devices_account_id'))

    op.drop_table('devices')
    op.drop_table('cashier_points')
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_codes_point_id'))
        batch_op.drop_index(batch_op.f('ix_activation_codes_account_id'))

    op.drop_table('activation_codes')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))

    op.drop_table('web_sessions')
    with op.batch_alter_table('user_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_tokens_user_id'))

    op.drop_table('user_tokens')
    with op.batch_alter_table('retail_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retail_points_catalog_id'))
        batch_op.drop_index(batch_op.f('ix_retail_points_account_id'))

    op.drop_table('retail_points')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_catalog_name')
        batch_op.drop_index(batch_op.f('ix_products_account_id'))

    op.drop_table('products')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_account_id'))

    op.drop_table('users')
    with op.batch_alter_table('catalogs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogs_account_id'))

    op.drop_table('catalogs')
    with op.batch_alter_table('cashiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cashiers_account_id'))

    op.drop_table('cashiers')
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_jobs_due')

    op.drop_table('outbox_jobs')
    with op.batch_alter_table('rate_limit_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_attempts_at'))
        batch_op.drop_index('ix_rate_limit_attempts_key_at')

    op.drop_table('rate_limit_attempts')
    op.drop_table('accounts')
