"""The staff audit log: every staff action, with who, when, what and from which address.

`record` adds the entry to the request's database session, so it is committed
with the change it describes (a failed commit loses both, never just one);
actions that change nothing else (an export, a failed login) pass commit=True.
The console shows the log to admins and exports it (bot/console/audit_log.py);
nothing in the gateway edits or deletes an entry (bot/staff_records.py).
"""

from __future__ import annotations

import getpass

from flask import has_request_context, request

from . import db
from .staff_records import AuditEntry

# What each action is called on the console and in the export: the keys are what the database holds.
ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "correction": "纠正答案（发布FAQ）",
    "upload": "上传文档",
    "remove": "删除文档",
    "supersede": "新版本替代旧版本",
    "restore_version": "恢复旧版本",
    "export": "导出",
    "handoff_reply": "人工回复",
    "handoff_claim": "接手人工会话",
    "handoff_release": "交还机器人",
    "lead_change": "线索变更",
    "visit_slot": "发布/撤回考察时段",
    "visit_change": "考察预约变更",
    "account_change": "账号变更",
    "erase_person": "删除个人数据",
    "export_person": "导出个人数据",
}


def client_address() -> str:
    """The request's client (ProxyFix has already put the real one there), or who ran a command."""
    if has_request_context():
        return (request.remote_addr or "")[:64]
    return "cli"


def _actor() -> tuple[int | None, str]:
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.username
        return None, ""
    try:
        return None, f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no login name (a container without /etc/passwd entry)
        return None, "cli"


def record(
    action: str,
    target: str = "",
    *,
    detail: dict | None = None,
    staff=None,
    actor: str | None = None,
    commit: bool = False,
    session=None,
) -> AuditEntry:
    """Add one entry; `staff`/`actor` default to the logged-in account (or the command line's user)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    staff_id, name = (staff.id, staff.username) if staff is not None else _actor()
    entry = AuditEntry(
        staff_id=staff_id,
        actor=(actor if actor is not None else name)[:64],
        action=action,
        target=str(target)[:200],
        detail=detail or {},
        address=client_address(),
    )
    session = session or db.session()
    session.add(entry)
    if commit:
        session.commit()
    return entry
