"""sim floating IPs and rules keep a description; keypairs and groups their creation time

Neutron's standard ``description`` attribute, sent with the create request: the
translate layer marks objects that have no generated name with their creation
token there, so a create whose process died before saving the id is found again.
``created_at`` (Nova keypairs, Neutron groups report it): an object named by the
template is adopted only if it was made after the creation token was saved.

Revision ID: e7d2c4a9f1b3
Revises: d4f6b8a0c2e3
Create Date: 2026-12-02 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'e7d2c4a9f1b3'
down_revision = 'd4f6b8a0c2e3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('sim_keypairs', 'sim_security_groups'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('sim_floating_ips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.String(length=255), nullable=True))
    with op.batch_alter_table('sim_security_group_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sim_security_group_rules', schema=None) as batch_op:
        batch_op.drop_column('description')
    with op.batch_alter_table('sim_floating_ips', schema=None) as batch_op:
        batch_op.drop_column('description')
    for table in ('sim_security_groups', 'sim_keypairs'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('created_at')
