"""user-defined processes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import openeo_gip.db.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_graphs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("process_id", sa.String(length=255), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created", openeo_gip.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", openeo_gip.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "process_id", name="uq_process_graphs_user_process"),
    )
    op.create_index("ix_process_graphs_user_id", "process_graphs", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_process_graphs_user_id", table_name="process_graphs")
    op.drop_table("process_graphs")
