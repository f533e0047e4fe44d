"""flask --app bot create-staff | purge-turns."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from sqlalchemy import delete, select
from werkzeug.security import generate_password_hash

from . import db
from .models import ROLES, ChatRequest, ConversationToken, Handoff, StaffUser, Turn, utcnow

MIN_PASSWORD = 10


def create_staff(username: str, password: str, role: str = "staff") -> StaffUser:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    session = db.session()
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        user = StaffUser(username=username)
        session.add(user)
    user.password_hash = generate_password_hash(password, method=current_app.config["STAFF_PASSWORD_METHOD"])
    user.role, user.failed_logins, user.locked_until, user.active = role, 0, None, True
    session.commit()
    return user


def purge_turns(days: int) -> tuple[int, int]:
    """Delete turns (with their feedback) and closed handoffs older than `days`, client message ids of that
    age, and expired conversation tokens (bot/chat_tokens.py)."""
    cutoff = utcnow() - timedelta(days=days)
    session = db.session()
    turns = session.execute(delete(Turn).where(Turn.created_at < cutoff)).rowcount
    handoffs = session.execute(delete(Handoff).where(Handoff.status == "closed", Handoff.created_at < cutoff)).rowcount
    session.execute(delete(ChatRequest).where(ChatRequest.created_at < cutoff))
    expired = utcnow() - timedelta(days=current_app.config["CHAT_TOKEN_DAYS"])
    session.execute(delete(ConversationToken).where(ConversationToken.created_at < expired))
    session.commit()
    return turns, handoffs


def register(app: Flask) -> None:
    @app.cli.command("create-staff")
    @click.option("--username", prompt=True)
    @click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
    @click.password_option("--password", help="prompted for (twice) when not given")
    def create_staff_command(username: str, role: str, password: str):
        """Create a staff console account (or reset its password and role)."""
        try:
            user = create_staff(username.strip(), password, role)
        except ValueError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"staff account {user.username!r} ({user.role}) is ready")

    @app.cli.command("purge-turns")
    @click.option("--days", type=int, default=None, help="keep this many days (default: TURN_RETENTION_DAYS)")
    def purge_turns_command(days: int | None):
        """Delete conversation turns older than the retention period."""
        days = current_app.config["TURN_RETENTION_DAYS"] if days is None else days
        turns, handoffs = purge_turns(days)
        click.echo(f"deleted {turns} turns and {handoffs} closed handoffs older than {days} days")
