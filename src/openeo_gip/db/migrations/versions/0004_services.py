"""secondary web services (map tiles) and their logs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:45:00
"""

import sqlalchemy as sa
from alembic import op

import openeo_gip.db.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = openeo_gip.db.models.UtcDateTime(timezone=True)
    op.create_table(
        "services",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("process", sa.JSON(), nullable=False),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("log_level", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tiles_rendered", sa.Integer(), nullable=False),
        sa.Column("created", utc, nullable=False),
        sa.Column("updated", utc, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret"),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_user_id"), ["user_id"], unique=False)
    op.create_table(
        "service_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("time", utc, nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_logs_service_id"), ["service_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_logs_service_id"))
    op.drop_table("service_logs")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_user_id"))
    op.drop_table("services")
