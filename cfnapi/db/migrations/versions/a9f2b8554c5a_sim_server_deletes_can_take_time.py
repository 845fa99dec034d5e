"""sim server deletes can take time (behaviour.server_delete_seconds)

Revision ID: a9f2b8554c5a
Revises: b4baa96d4c4a
Create Date: 2026-11-22 04:58:43.467872
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'a9f2b8554c5a'
down_revision = 'b4baa96d4c4a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sim_servers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleting_since', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sim_servers', schema=None) as batch_op:
        batch_op.drop_column('deleting_since')

