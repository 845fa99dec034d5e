"""crash safety: resource creation tokens, asynchronous sim server deletes

Revision ID: dfa15bf1eedb
Revises: 1fc75b665592
Create Date: 2026-11-22 05:11:25.226388
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'dfa15bf1eedb'
down_revision = '1fc75b665592'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cfn_stack_resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('creation_token', sa.String(length=32), nullable=True))

    with op.batch_alter_table('sim_servers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleting_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sim_servers', schema=None) as batch_op:
        batch_op.drop_column('deleting_since')

    with op.batch_alter_table('cfn_stack_resources', schema=None) as batch_op:
        batch_op.drop_column('creation_token')
