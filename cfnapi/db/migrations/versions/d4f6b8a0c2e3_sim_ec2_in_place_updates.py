"""sim volumes remember the backup they were restored from; tags and volume metadata

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


_TAGGED = ('sim_networks', 'sim_subnets', 'sim_ports', 'sim_floating_ips', 'sim_security_groups')


def upgrade() -> None:
    with op.batch_alter_table('sim_volumes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backup_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('volume_metadata', sa.JSON(), nullable=True))
    for table in _TAGGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in _TAGGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('tags')
    with op.batch_alter_table('sim_volumes', schema=None) as batch_op:
        batch_op.drop_column('volume_metadata')
        batch_op.drop_column('backup_id')
