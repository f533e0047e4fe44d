"""The widget's source lives in small files by subject and is served as the one script the embed loads
(bot/widget/__init__.py): every file is served, in its order, and the result is what browsers cache."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bot.widget import PARTS, STATIC, source


def test_every_part_is_served_once_and_nothing_else_lies_about():
    on_disk = sorted(path.name for path in STATIC.glob("*.js"))
    assert sorted(PARTS) == on_disk and len(set(PARTS)) == len(PARTS)  # no file left out, none forgotten
    served = source()
    positions = [served.index((STATIC / name).read_text("utf-8")) for name in PARTS]
    assert positions == sorted(positions)  # in PARTS order
    assert all(len((STATIC / name).read_text("utf-8").splitlines()) <= 400 for name in PARTS)


def test_the_parts_share_one_strict_function_scope():
    banner, body = source().split("\n", 1)
    assert banner.startswith("/*") and banner.endswith("*/")
    assert body.startswith('(function () {\n  "use strict";\n') and body.endswith("\n}());\n")


@pytest.mark.skipif(not shutil.which("node"), reason="needs node to parse the script")
def test_the_served_script_parses(tmp_path):
    script = tmp_path / "widget.js"
    script.write_text(source(), "utf-8")
    checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_the_script_is_cached_and_revalidated_by_etag(client):
    first = client.get("/widget.js")
    assert first.status_code == 200 and first.mimetype == "text/javascript"
    assert first.headers["X-Content-Type-Options"] == "nosniff" and "max-age=300" in first.headers["Cache-Control"]
    assert first.get_data(as_text=True) == source()
    again = client.get("/widget.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
