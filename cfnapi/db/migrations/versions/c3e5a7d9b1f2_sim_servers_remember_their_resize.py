"""sim servers remember their resize (auto-confirm window, status to return to)

Revision ID: c3e5a7d9b1f2
Revises: 368dd917a310
Create Date: 2026-11-22 06:46:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'c3e5a7d9b1f2'
down_revision = '368dd917a310'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sim_servers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resized_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_before_resize', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sim_servers', schema=None) as batch_op:
        batch_op.drop_column('status_before_resize')
        batch_op.drop_column('resized_at')
