"""one live stack per name: a partial unique index on (account_id, region, name)

Two CreateStack calls racing on one name both passed the "does it exist" check and
both inserted a live stack. The index covers live stacks only (deleted_at IS NULL):
deleted stacks keep their name, as many times as a name is reused.

Revision ID: f1a3c5e7b9d2
Revises: e7d2c4a9f1b3
Create Date: 2026-12-02 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'f1a3c5e7b9d2'
down_revision = 'e7d2c4a9f1b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'uq_cfn_stacks_live_name', 'cfn_stacks', ['account_id', 'region', 'name'], unique=True,
        sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('uq_cfn_stacks_live_name', table_name='cfn_stacks')
