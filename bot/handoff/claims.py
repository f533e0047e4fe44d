"""Who owns a handoff, decided by one conditional UPDATE so two people (or a
person and the timeout sweeper) never both get it.

A claim succeeds only while the handoff is open and not being timed out;
claiming one that someone else owns needs `take_over` (staff see the owner
first). The timeout sweeper marks a handoff `timing_out` the same way, so a
claim that comes a moment later fails instead of talking to a tenant who is
already being handed the lead form.
"""

from __future__ import annotations

from sqlalchemy import or_, update

from ..models import Handoff, utcnow


def claim(session, handoff_id: int, staff_id: int, take_over: bool = False) -> bool:
    """Make `staff_id` the owner; False if the handoff is closed, timing out, or someone else's."""
    condition = [Handoff.id == handoff_id, Handoff.status == "open", Handoff.closed_reason.is_(None)]
    if not take_over:
        condition.append(or_(Handoff.staff_id.is_(None), Handoff.staff_id == staff_id))
    now = utcnow()
    taken = session.execute(
        update(Handoff).where(*condition).values(staff_id=staff_id).execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        # The first claim's time is what "how long staff usually take" is measured by.
        session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.claimed_at.is_(None))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    handoff = session.get(Handoff, handoff_id)
    if handoff is not None:
        session.refresh(handoff)
    return bool(taken)


def mark_timing_out(session, handoff_id: int, cutoff) -> bool:
    """Take an unclaimed handoff that has waited since before `cutoff` for the lead form."""
    taken = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.status == "open",
            Handoff.staff_id.is_(None),
            Handoff.closed_reason.is_(None),
            Handoff.created_at <= cutoff,
        )
        .values(closed_reason="timing_out")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(taken)


def unmark_timing_out(session, handoff_id: int) -> None:
    """The lead form could not be opened: staff may still claim it; the sweeper tries again."""
    session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.closed_reason == "timing_out")
        .values(closed_reason=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
