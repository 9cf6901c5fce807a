"""Drop three single-column indexes that a unique index already serves.

`case_files.campaign_id`, `file_versions.case_id` and `machine_results.run_id` are the leading
column of a unique constraint's index, so their own index only cost every insert a second B-tree
write (campaign create writes one row to each per file).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DROPPED = (
    ("case_files", "ix_case_files_campaign_id", "campaign_id"),
    ("file_versions", "ix_file_versions_case_id", "case_id"),
    ("machine_results", "ix_machine_results_run_id", "run_id"),
)


def upgrade() -> None:
    for table, index, _column in DROPPED:
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for table, index, column in DROPPED:
        op.create_index(index, table, [column], unique=False)
