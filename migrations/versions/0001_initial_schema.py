"""Initial schema: the gateway's tables (bot/models.py) and the WeChat channel's (bot/wechat/models.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tables an app start already made (the WeChat channel creates its own
    # when missing) are left as they are, so this runs on any existing database.
    existing = set(sa.inspect(op.get_bind()).get_table_names())

    if "index_jobs" not in existing:
        op.create_table(
            "index_jobs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("detail", sa.Text(), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("message", sa.Text(), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("index_jobs", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_index_jobs_created_at"), ["created_at"], unique=False)

    if "leads" not in existing:
        op.create_table(
            "leads",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("idempotency_key", sa.String(length=128), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("sender_hash", sa.String(length=64), nullable=False),
            sa.Column("name", sa.String(length=100), nullable=False),
            sa.Column("company", sa.String(length=200), nullable=False),
            sa.Column("phone", sa.String(length=40), nullable=False),
            sa.Column("email", sa.String(length=200), nullable=False),
            sa.Column("industry", sa.String(length=100), nullable=False),
            sa.Column("need", sa.Text(), nullable=False),
            sa.Column("extra", sa.JSON(), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("notes", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("idempotency_key"),
        )
        with op.batch_alter_table("leads", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_leads_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_leads_status"), ["status"], unique=False)

    if "staff_users" not in existing:
        op.create_table(
            "staff_users",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("username", sa.String(length=64), nullable=False),
            sa.Column("password_hash", sa.String(length=256), nullable=False),
            sa.Column("role", sa.String(length=8), nullable=False),
            sa.Column("failed_logins", sa.Integer(), nullable=False),
            sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("username"),
        )
        with op.batch_alter_table("staff_users", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_staff_users_created_at"), ["created_at"], unique=False)

    if "turns" not in existing:
        op.create_table(
            "turns",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("sender_hash", sa.String(length=64), nullable=False),
            sa.Column("user_text", sa.Text(), nullable=False),
            sa.Column("reply", sa.Text(), nullable=False),
            sa.Column("sources", sa.JSON(), nullable=False),
            sa.Column("passages", sa.JSON(), nullable=False),
            sa.Column("intent", sa.String(length=64), nullable=True),
            sa.Column("confidence", sa.Float(), nullable=True),
            sa.Column("outcome", sa.String(length=16), nullable=False),
            sa.Column("degraded", sa.Boolean(), nullable=False),
            sa.Column("latency_ms", sa.Float(), nullable=False),
            sa.Column("corrected", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("turns", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_turns_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_turns_outcome"), ["outcome"], unique=False)
            batch_op.create_index("ix_turns_sender_created", ["sender_hash", "created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_turns_sender_hash"), ["sender_hash"], unique=False)

    if "wechat_followers" not in existing:
        op.create_table(
            "wechat_followers",
            sa.Column("openid_hash", sa.String(length=64), nullable=False),
            sa.Column("subscribed", sa.Boolean(), nullable=False),
            sa.Column("scene", sa.String(length=128), nullable=True),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.Column("openid", sa.String(length=64), nullable=True),
            sa.Column("last_message_at", sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint("openid_hash"),
        )

    if "wechat_messages" not in existing:
        op.create_table(
            "wechat_messages",
            sa.Column("key", sa.String(length=160), nullable=False),
            sa.Column("openid_hash", sa.String(length=64), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("reply", sa.Text(), nullable=True),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("wait_until", sa.DateTime(), nullable=False),
            sa.Column("delivery", sa.String(length=16), nullable=True),
            sa.PrimaryKeyConstraint("key"),
        )
        with op.batch_alter_table("wechat_messages", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_wechat_messages_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_wechat_messages_openid_hash"), ["openid_hash"], unique=False)

    if "wechat_options" not in existing:
        op.create_table(
            "wechat_options",
            sa.Column("openid_hash", sa.String(length=64), nullable=False),
            sa.Column("options", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("openid_hash"),
        )

    if "wechat_tokens" not in existing:
        op.create_table(
            "wechat_tokens",
            sa.Column("app_id", sa.String(length=64), nullable=False),
            sa.Column("access_token", sa.Text(), nullable=True),
            sa.Column("expires_at", sa.DateTime(), nullable=False),
            sa.Column("lease_until", sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint("app_id"),
        )

    if "faq_corrections" not in existing:
        op.create_table(
            "faq_corrections",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("turn_id", sa.Integer(), nullable=True),
            sa.Column("staff_id", sa.Integer(), nullable=True),
            sa.Column("question", sa.Text(), nullable=False),
            sa.Column("question_key", sa.String(length=200), nullable=False),
            sa.Column("answer", sa.Text(), nullable=False),
            sa.Column("source_doc_id", sa.String(length=200), nullable=False),
            sa.Column("doc_id", sa.String(length=200), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("error", sa.Text(), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="SET NULL"),
            sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("faq_corrections", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_faq_corrections_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_faq_corrections_question_key"), ["question_key"], unique=False)
            batch_op.create_index(batch_op.f("ix_faq_corrections_turn_id"), ["turn_id"], unique=False)

    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("turn_id", sa.Integer(), nullable=False),
            sa.Column("sender_hash", sa.String(length=64), nullable=False),
            sa.Column("rating", sa.Integer(), nullable=False),
            sa.Column("comment", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("turn_id", "sender_hash", name="uq_feedback_turn_sender"),
        )
        with op.batch_alter_table("feedback", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_feedback_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_feedback_turn_id"), ["turn_id"], unique=False)

    if "handoffs" not in existing:
        op.create_table(
            "handoffs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("sender_hash", sa.String(length=64), nullable=False),
            sa.Column("sender_id", sa.String(length=128), nullable=True),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("staff_id", sa.Integer(), nullable=True),
            sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("handoffs", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_handoffs_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_handoffs_sender_hash"), ["sender_hash"], unique=False)
            batch_op.create_index(batch_op.f("ix_handoffs_status"), ["status"], unique=False)

    if "handoff_messages" not in existing:
        op.create_table(
            "handoff_messages",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("handoff_id", sa.Integer(), nullable=False),
            sa.Column("author", sa.String(length=8), nullable=False),
            sa.Column("staff_id", sa.Integer(), nullable=True),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_handoff_messages_created_at"), ["created_at"], unique=False)
            batch_op.create_index(batch_op.f("ix_handoff_messages_handoff_id"), ["handoff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_messages_handoff_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_messages_created_at"))

    op.drop_table("handoff_messages")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_status"))
        batch_op.drop_index(batch_op.f("ix_handoffs_sender_hash"))
        batch_op.drop_index(batch_op.f("ix_handoffs_created_at"))

    op.drop_table("handoffs")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_turn_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_created_at"))

    op.drop_table("feedback")
    with op.batch_alter_table("faq_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_corrections_turn_id"))
        batch_op.drop_index(batch_op.f("ix_faq_corrections_question_key"))
        batch_op.drop_index(batch_op.f("ix_faq_corrections_created_at"))

    op.drop_table("faq_corrections")
    op.drop_table("wechat_tokens")
    op.drop_table("wechat_options")
    with op.batch_alter_table("wechat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_messages_openid_hash"))
        batch_op.drop_index(batch_op.f("ix_wechat_messages_created_at"))

    op.drop_table("wechat_messages")
    op.drop_table("wechat_followers")
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_turns_sender_hash"))
        batch_op.drop_index("ix_turns_sender_created")
        batch_op.drop_index(batch_op.f("ix_turns_outcome"))
        batch_op.drop_index(batch_op.f("ix_turns_created_at"))

    op.drop_table("turns")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_users_created_at"))

    op.drop_table("staff_users")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_status"))
        batch_op.drop_index(batch_op.f("ix_leads_created_at"))

    op.drop_table("leads")
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_jobs_created_at"))

    op.drop_table("index_jobs")
