"""`campaigns.building`: set while `campaign create` is still importing the campaign's files.

The files go in a chunk at a time while the review runs, in short transactions; the campaign is
hidden (listed nowhere, found by no name) until its last file is in, then shown in one transaction.
The column names the process building it, so a build that was killed can be recognised and removed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("building", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "building")  # SQLite ≥ 3.35, which the store needs anyway (RETURNING)
