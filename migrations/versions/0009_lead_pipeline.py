"""Lead pipeline and site-visit booking (issue 17 parts 5 and 6).

leads.owner_id: the member of staff who works the lead.
lead_changes: every status change with who, note and time.
visit_slots / visit_bookings: the times staff offer for a site visit, and the tenants' bookings.
notify_outbox.attachment: a visit's .ics, attached to the staff e-mail.
leads.status: the old "closed" becomes "lost" (已流失): a closed lead was one that went nowhere, and the
pipeline's other end (已签约) did not exist before. "new" and "contacted" keep their meaning and key.
Downgrade maps every status the old code does not know back to the nearest old one.

Revision ID: 0009_lead_pipeline
Revises: 0008_index_jobs (written on 0007_conversation_tokens; re-chained when main gained 0008)
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_lead_pipeline"
down_revision = "0008_index_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A test or tool may have made the tables with create_all: leave what exists as it is (as 0001-0007 do).
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "owner_id" not in {c["name"] for c in inspector.get_columns("leads")}:
        with op.batch_alter_table("leads", schema=None) as batch_op:
            batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                "fk_leads_owner_id_staff_users", "staff_users", ["owner_id"], ["id"], ondelete="SET NULL"
            )
    if "lead_changes" not in tables:
        op.create_table(
            "lead_changes",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
            sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
            sa.Column("actor", sa.String(64), nullable=False, server_default=""),
            sa.Column("from_status", sa.String(16), nullable=False),
            sa.Column("to_status", sa.String(16), nullable=False),
            sa.Column("note", sa.Text(), nullable=False, server_default=""),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_lead_changes_lead_id", "lead_changes", ["lead_id"])
        op.create_index("ix_lead_changes_created_at", "lead_changes", ["created_at"])
    if "visit_slots" not in tables:
        op.create_table(
            "visit_slots",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("capacity", sa.Integer(), nullable=False, server_default="1"),
            sa.Column("place", sa.String(200), nullable=False, server_default=""),
            sa.Column("note", sa.Text(), nullable=False, server_default=""),
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
            sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_visit_slots_starts_at", "visit_slots", ["starts_at"])
        op.create_index("ix_visit_slots_created_at", "visit_slots", ["created_at"])
    if "visit_bookings" not in tables:
        op.create_table(
            "visit_bookings",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("slot_id", sa.Integer(), sa.ForeignKey("visit_slots.id", ondelete="CASCADE"), nullable=False),
            sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id", ondelete="CASCADE")),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("sender_hash", sa.String(64), nullable=False),
            sa.Column("sender_id", sa.String(128)),
            sa.Column("language", sa.String(8), nullable=False, server_default="zh"),
            sa.Column("status", sa.String(16), nullable=False, server_default="booked"),
            sa.Column("cancelled_at", sa.DateTime(timezone=True)),
            sa.Column("cancelled_by", sa.String(64)),
            sa.Column("pending_notice", sa.Text()),
            sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        for column in ("slot_id", "lead_id", "sender_hash", "status", "created_at"):
            op.create_index(f"ix_visit_bookings_{column}", "visit_bookings", [column])
    if "attachment" not in {c["name"] for c in inspector.get_columns("notify_outbox")}:
        with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
            batch_op.add_column(sa.Column("attachment", sa.Text(), nullable=True))
    op.execute("UPDATE leads SET status = 'lost' WHERE status = 'closed'")


def downgrade() -> None:
    op.execute("UPDATE leads SET status = 'closed' WHERE status IN ('lost', 'signed')")
    op.execute("UPDATE leads SET status = 'contacted' WHERE status IN ('visit_booked', 'negotiating')")
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_column("attachment")
    for column in ("slot_id", "lead_id", "sender_hash", "status", "created_at"):
        op.drop_index(f"ix_visit_bookings_{column}", table_name="visit_bookings")
    op.drop_table("visit_bookings")
    op.drop_index("ix_visit_slots_created_at", table_name="visit_slots")
    op.drop_index("ix_visit_slots_starts_at", table_name="visit_slots")
    op.drop_table("visit_slots")
    op.drop_index("ix_lead_changes_created_at", table_name="lead_changes")
    op.drop_index("ix_lead_changes_lead_id", table_name="lead_changes")
    op.drop_table("lead_changes")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint("fk_leads_owner_id_staff_users", type_="foreignkey")
        batch_op.drop_column("owner_id")
