"""A lead's way through the pipeline: every status change in one place, with its history and audit entry.

The console form, the staff JSON API and a tenant's visit booking all move
leads; each goes through `change` so that no path forgets the history row
(who, from, to, note, when), the owner or the audit entry. The caller commits:
the change, its history and its audit entry land together or not at all.
"""

from __future__ import annotations

from . import audit
from .models import LEAD_STATUS_LABELS, LEAD_STATUSES, Lead, LeadChange

NOTE_CHARS = 2000
CLOSED = ("signed", "lost")  # the pipeline's two ends


class LeadChangeError(ValueError):
    """A change that cannot be made; the message is fit for staff (Chinese)."""


def change(
    session, lead: Lead, status: str | None, note: str = "", *, staff=None, actor: str | None = None
) -> LeadChange | None:
    """Move `lead` to `status` (None: keep it) with `note`; None when nothing changes.

    `staff` is the account making the change (it becomes the lead's owner); without one (a tenant's
    booking) `actor` names who did it and the change is not a staff action, so it is not audited.
    """
    status = lead.status if status in (None, "") else status
    if status not in LEAD_STATUSES:
        raise LeadChangeError(f"无效的状态：{status}")
    note = (note or "").strip()
    if len(note) > NOTE_CHARS:
        raise LeadChangeError(f"备注最多 {NOTE_CHARS} 个字符。")
    if status == lead.status and not note:
        return None
    before = lead.status
    row = LeadChange(
        lead_id=lead.id,
        from_status=before,
        to_status=status,
        note=note,
        staff_id=staff.id if staff is not None else None,
        actor=(staff.username if staff is not None else actor or "")[:64],
    )
    session.add(row)
    lead.status = status
    if note:
        lead.notes = note  # the latest note, shown on the card; the history keeps them all
    if staff is not None:
        lead.owner_id = staff.id
        audit.record(
            "lead_change",
            f"lead:{lead.id}",
            staff=staff,
            session=session,
            detail={"status": [before, status], "notes_changed": bool(note)},
        )
    return row


def label(status: str) -> str:
    return LEAD_STATUS_LABELS.get(status, status)
