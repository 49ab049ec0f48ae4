"""subscriptions.as_of: the Stripe event second the stored state reflects

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: rows stored before this column existed have no known event second; the next event
    # for each of them reads the subscription from Stripe and sets it.
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("as_of", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("as_of")
