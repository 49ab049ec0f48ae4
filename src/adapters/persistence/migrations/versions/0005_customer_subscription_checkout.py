"""customers.subscription_checkout_id and _request (the subscription Checkout Session last opened
for the user, and the client request that opened it)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: a customer from before has no subscription checkout recorded; their next one opens
    # as before.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_checkout_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("subscription_checkout_request", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("subscription_checkout_request")
        batch_op.drop_column("subscription_checkout_id")
