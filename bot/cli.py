"""flask --app bot create-staff | staff-active | purge-turns | retention | export-person | erase-person."""

from __future__ import annotations

from datetime import timedelta

import json

import click
from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from . import audit, db
from .models import ROLES, StaffUser, utcnow

MIN_PASSWORD = 10


def create_staff(username: str, password: str, role: str = "staff") -> StaffUser:
    """Create an account, or reset one's password and role; a reset ends its open sessions."""
    from .console.sessions import end_all

    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    session = db.session()
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    created = user is None
    if created:
        user = StaffUser(username=username)
        session.add(user)
    before = (user.role, user.active)
    user.password_hash = generate_password_hash(password, method=current_app.config["STAFF_PASSWORD_METHOD"])
    user.role, user.active = role, True
    session.flush()
    ended = 0 if created else end_all(session, user.id)
    detail = (
        {"created": True, "role": role}
        if created
        else {"password": "reset", "role": [before[0], role], "active": [before[1], True], "sessions_ended": ended}
    )
    audit.record("account_change", username, detail=detail, session=session)
    session.commit()
    return user


def set_active(username: str, active: bool) -> StaffUser:
    """Deactivate (ending its sessions at once) or reactivate an account."""
    from .console.sessions import end_all

    session = db.session()
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        raise ValueError(f"no staff account {username!r}")
    user.active = active
    ended = 0 if active else end_all(session, user.id)
    audit.record("account_change", username, detail={"active": active, "sessions_ended": ended}, session=session)
    session.commit()
    return user


def purge_turns(days: int) -> tuple[int, int]:
    """Delete turns (with their feedback) and closed handoffs older than `days`, client message ids of that
    age, and expired conversation tokens (bot/chat_tokens.py): the retention job's steps for two stores."""
    from .retention import _handoffs, _turns

    cutoff = utcnow() - timedelta(days=days)
    session = db.session()
    turns, handoffs = _turns(session, cutoff), _handoffs(session, cutoff)
    session.commit()
    return turns, handoffs


def register(app: Flask) -> None:
    @app.cli.command("create-staff")
    @click.option("--username", prompt=True)
    @click.option(
        "--role",
        type=click.Choice(ROLES),
        prompt=True,
        show_choices=True,
        help="viewer: read only; staff: handoffs and leads; editor: also knowledge and corrections; "
        "admin: also accounts and the audit log",
    )
    @click.password_option("--password", help="prompted for (twice) when not given")
    def create_staff_command(username: str, role: str, password: str):
        """Create a staff console account (or reset its password and role, ending its sessions)."""
        try:
            user = create_staff(username.strip(), password, role)
        except ValueError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"staff account {user.username!r} ({user.role}) is ready")

    @app.cli.command("staff-active")
    @click.option("--username", required=True)
    @click.option("--off", "deactivate", is_flag=True, help="deactivate (ends its sessions at once)")
    @click.option("--on", "activate", is_flag=True, help="reactivate")
    def staff_active_command(username: str, deactivate: bool, activate: bool):
        """Deactivate or reactivate a staff account."""
        if deactivate == activate:
            raise click.ClickException("give exactly one of --off or --on")
        try:
            user = set_active(username.strip(), activate)
        except ValueError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"staff account {user.username!r} is {'active' if user.active else 'deactivated'}")

    def person_options(command):
        command = click.option("--phone", default="", help="the person's phone number")(command)
        return click.option("--conversation", default="", help="a conversation id (web-…, wx-…)")(command)

    @app.cli.command("export-person")
    @person_options
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="write the JSON here (0600) rather than to standard output",
    )
    def export_person_command(phone: str, conversation: str, out: str | None):
        """Export everything kept about one person as JSON (audited)."""
        from . import person

        try:
            data = person.export(db.session(), phone, conversation)
        except person.PersonError as exc:
            raise click.ClickException(str(exc))
        audit.record(
            "export_person",
            f"{len(data['conversations'])} conversations",
            commit=True,
            detail={
                "by": "phone" if phone else "conversation",
                "turns": len(data["turns"]),
                "leads": len(data["leads"]),
            },
        )
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if out:
            import os

            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it is personal data
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            click.echo(f"exported {len(data['conversations'])} conversations to {out}", err=True)
        else:
            click.echo(text)

    @app.cli.command("erase-person")
    @person_options
    @click.confirmation_option(prompt="Erase everything kept about this person, in every store?")
    def erase_person_command(phone: str, conversation: str):
        """Erase one person's data from every store (audited)."""
        from . import person

        try:
            counts = person.erase(db.session(), phone, conversation)
        except person.PersonError as exc:
            raise click.ClickException(str(exc))
        audit.record(
            "erase_person",
            f"{counts['conversations']} conversations",
            commit=True,
            detail={"by": "phone" if phone else "conversation", **counts},
        )
        click.echo("erased: " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    @app.cli.command("purge-turns")
    @click.option("--days", type=int, default=None, help="keep this many days (default: TURN_RETENTION_DAYS)")
    def purge_turns_command(days: int | None):
        """Delete conversation turns older than the retention period."""
        days = current_app.config["TURN_RETENTION_DAYS"] if days is None else days
        turns, handoffs = purge_turns(days)
        click.echo(f"deleted {turns} turns and {handoffs} closed handoffs older than {days} days")

    @app.cli.command("retention")
    @click.option("--once", is_flag=True, help="one run now, then exit (otherwise: every RETENTION_INTERVAL_HOURS)")
    @click.option(
        "--queue-dir",
        "queue_dirs",
        multiple=True,
        type=click.Path(file_okay=False),
        help="lead-queue directories (default: LEADS_QUEUE_DIR); repeat for several action servers",
    )
    def retention_command(once: bool, queue_dirs: tuple[str, ...]):
        """Delete personal data past its retention period from every store (README "Retention")."""
        from pathlib import Path

        from . import retention

        dirs = [Path(d) for d in queue_dirs] or None
        if once:
            counts = retention.run_once(current_app._get_current_object(), queue_dirs=dirs)
            click.echo("deleted: " + ", ".join(f"{k} {'kept' if v is None else v}" for k, v in counts.items()))
        else:
            retention.run_forever(current_app._get_current_object(), queue_dirs=dirs)
