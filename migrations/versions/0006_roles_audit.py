"""Staff roles, the audit log, server-side staff sessions and per-address login failures.

Existing accounts keep their role name: an admin stays admin (accounts, and
now also the audit log), and a staff account stays staff, keeping handoffs and
leads. Corrections and knowledge changes now need the new editor role, which
is the point of issue 17's "any staff account can publish FAQ answers": an admin
promotes whoever writes corrections on the 账号 page. A role this code does not
know becomes viewer (read only), the least it can be.

The lockout counters move from staff_users (one per account, which let anyone
lock any account) to login_failures (one per username and address).
Downgrading turns viewer and editor back into staff, the only other role the
older code knows, and drops the logs.

Revision ID: 0006_roles_audit
Revises: 0005_handoff_claims
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_roles_audit"
down_revision = "0005_handoff_claims"
branch_labels = None
depends_on = None

ROLES = ("viewer", "staff", "editor", "admin")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    # A test or tool may have made these with create_all: leave them as they are (as 0001-0004 do).
    if "audit_log" not in existing:
        op.create_table(
            "audit_log",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("staff_id", sa.Integer(), nullable=True),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column("target", sa.String(length=200), nullable=False),
            sa.Column("detail", sa.JSON(), nullable=False),
            sa.Column("address", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("audit_log", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
            batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_audit_log_staff_id"), ["staff_id"], unique=False)
    if "staff_sessions" not in existing:
        op.create_table(
            "staff_sessions",
            sa.Column("id", sa.String(length=64), nullable=False),
            sa.Column("staff_id", sa.Integer(), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("address", sa.String(length=64), nullable=False),
            sa.Column("agent_digest", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_staff_sessions_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_staff_sessions_staff_id"), ["staff_id"], unique=False)
    if "login_failures" not in existing:
        op.create_table(
            "login_failures",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("username", sa.String(length=64), nullable=False),
            sa.Column("address", sa.String(length=64), nullable=False),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("username", "address", name="uq_login_failures_username_address"),
        )
        with op.batch_alter_table("login_failures", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_login_failures_username"), ["username"], unique=False)

    staff = sa.table("staff_users", sa.column("role", sa.String))
    op.execute(staff.update().where(staff.c.role.not_in(ROLES)).values(role="viewer"))
    columns = {c["name"] for c in inspector.get_columns("staff_users")}
    if {"failed_logins", "locked_until"} & columns:
        with op.batch_alter_table("staff_users", schema=None) as batch_op:
            for name in ("failed_logins", "locked_until"):
                if name in columns:
                    batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    staff = sa.table("staff_users", sa.column("role", sa.String))
    op.execute(staff.update().where(staff.c.role.in_(("viewer", "editor"))).values(role="staff"))
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_username"))
    op.drop_table("login_failures")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_staff_id"))
        batch_op.drop_index(batch_op.f("ix_staff_sessions_created_at"))
    op.drop_table("staff_sessions")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_staff_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))
    op.drop_table("audit_log")
