"""sim volumes remember the backup they were restored from

Revision ID: d4f6b8a0c2e3
Revises: c3e5a7d9b1f2
Create Date: 2026-12-02 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'd4f6b8a0c2e3'
down_revision = 'c3e5a7d9b1f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sim_volumes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backup_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sim_volumes', schema=None) as batch_op:
        batch_op.drop_column('backup_id')
