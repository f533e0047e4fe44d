"""The account's custom menu: each CLICK key is a park topic intent.

`flask --app bot wechat-menu` pushes it. WeChat allows 3 top-level buttons of
at most 5 entries each; a CLICK on `ask_location` is sent to Rasa as the
intent payload `/ask_location`.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

MENU_PATH = "/cgi-bin/menu/create"

MENU: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "了解园区",
        [
            ("园区位置", "ask_location"),
            ("园区布局", "ask_layout"),
            ("发展目标", "ask_goals"),
            ("开园进展", "ask_opening"),
            ("配套服务", "ask_services"),
        ],
    ),
    (
        "产业政策",
        [
            ("产业方向", "ask_industries"),
            ("CXO平台", "ask_cxo"),
            ("扶持政策", "ask_policy"),
            ("专项基金", "ask_funds"),
            ("进出口便利", "ask_import_export"),
        ],
    ),
    (
        "入驻咨询",
        [
            ("审批绿色通道", "ask_green_channel"),
            ("我想入驻", "request_settlement"),
            ("转人工", "human_handoff"),
        ],
    ),
]

TOPIC_KEYS = frozenset(key for _, entries in MENU for _, key in entries)


def menu_payload() -> dict:
    return {
        "button": [
            {"name": name, "sub_button": [{"type": "click", "name": title, "key": key} for title, key in entries]}
            for name, entries in MENU
        ]
    }


@click.command("wechat-menu")
@click.option("--dry-run", is_flag=True, help="Print the menu JSON instead of pushing it.")
@with_appcontext
def menu_command(dry_run: bool) -> None:
    """Push the topic menu to the WeChat Official Account."""
    from .api_client import WeChatApiError

    payload = menu_payload()
    if dry_run:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    channel = current_app.extensions.get("wechat")
    if channel is None:
        raise click.ClickException(
            "the WeChat channel is not configured (set WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET)"
        )
    try:
        channel.api.post(MENU_PATH, payload)
    except WeChatApiError as exc:
        raise click.ClickException(f"WeChat refused the menu: {exc}") from exc
    click.echo(f"menu pushed: {len(TOPIC_KEYS)} topics under {', '.join(name for name, _ in MENU)}")
