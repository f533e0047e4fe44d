"""Web conversations belong to their owner, are restored from history, and a retried message goes once.

conversation_tokens: the hash of each web conversation's token (issue 18).
chat_requests: client message ids, so a retry is answered from its turn.
turns.replies: the replies as shown, for GET /api/chat/history (issue 16).

Revision ID: 0007_conversation_tokens
Revises: 0006_roles_audit
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_conversation_tokens"
down_revision = "0006_roles_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A test or tool may have made the tables with create_all: leave what exists as it is (as 0001-0004 do).
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "conversation_tokens" not in tables:
        op.create_table(
            "conversation_tokens",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("sender_hash", sa.String(64), nullable=False),
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("sender_hash", name="uq_conversation_tokens_sender_hash"),
            sa.UniqueConstraint("token_hash", name="uq_conversation_tokens_token_hash"),
        )
        op.create_index("ix_conversation_tokens_created_at", "conversation_tokens", ["created_at"])
    if "chat_requests" not in tables:
        op.create_table(
            "chat_requests",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("sender_hash", sa.String(64), nullable=False),
            sa.Column("client_message_id", sa.String(64), nullable=False),
            sa.Column("turn_id", sa.Integer(), sa.ForeignKey("turns.id", ondelete="SET NULL")),
            sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("sender_hash", "client_message_id", name="uq_chat_request_message"),
        )
        op.create_index("ix_chat_requests_created_at", "chat_requests", ["created_at"])
    if "replies" not in {c["name"] for c in inspector.get_columns("turns")}:
        with op.batch_alter_table("turns", schema=None) as batch_op:
            batch_op.add_column(sa.Column("replies", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_column("replies")
    op.drop_index("ix_chat_requests_created_at", table_name="chat_requests")
    op.drop_table("chat_requests")
    op.drop_index("ix_conversation_tokens_created_at", table_name="conversation_tokens")
    op.drop_table("conversation_tokens")
