"""Uploads that cannot hurt the service: zip bombs, YAML alias bombs, endless or huge files.

Each hostile file is refused with a reason, before it costs memory, and the
console says why in Chinese. The limits are tested with real files made on
the fly (a docx whose member expands 1000:1, one whose member lies about its
size, a front matter of nested aliases) and with the child process's own
time and memory limits.
"""

from __future__ import annotations

import ast
import io
import re
import time
import zipfile
from pathlib import Path

import pytest

from appsupport import csrf_token, rows
from bot.console.refusals import refusal_message
from bot.models import IndexJob
from knowledge import isolated
from knowledge.documents import DocumentError
from knowledge.ingest import ingest
from knowledge.read_limits import Limits
from knowledge_files import make_docx

ROOT = Path(__file__).resolve().parent.parent
CITE = {"title": "园区通知", "publisher": "管委会", "published": "2024-05-01", "url": "https://example.org/n"}
ALIAS_BOMB = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
title: *d
publisher: x
published: '2024-01-01'
url: https://x
category: release
---

园区通知正文。
"""


def zip_bomb(path: Path, expanded: int = 30 * 2**20) -> Path:
    """A real Word document plus one member of zeros that compresses about 1000:1."""
    make_docx(path, "园区通知", ["园区通知正文。"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.xml", b"\0" * expanded)
    return path


def lying_member(path: Path) -> Path:
    """A member that declares 1,000 bytes in the central directory but holds 3 MB."""
    make_docx(path, "园区通知", ["园区通知正文。"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/liar.xml", b"<x/>" * (3 * 2**18))
    raw = bytearray(path.read_bytes())
    name = b"word/liar.xml"
    # The uncompressed size sits at offset 22 of the member's local header and 24 of its central one.
    local = raw.rfind(b"PK\x03\x04", 0, raw.index(name))
    central = raw.rfind(b"PK\x01\x02", 0, raw.rindex(name))
    for at in (local + 22, central + 24):
        raw[at : at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    return path


def test_a_zip_bomb_docx_is_refused_before_it_expands(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 200_000  # small on disk, 30 MB expanded
    [outcome] = ingest([bomb], tmp_path / "docs", CITE)
    assert outcome.status == "refused"
    assert "zip archive expands too far" in outcome.detail and "padding.xml" in outcome.detail
    assert "compressed" in outcome.detail  # the ratio caught it, not the 50 MB size limit
    assert list((tmp_path / "docs").iterdir()) == []


def test_a_member_bigger_than_the_limit_is_refused_by_its_declared_size(tmp_path, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_MAX_MEMBER_MB", "1")  # reaches the reading child (isolated.run passes env)
    path = make_docx(tmp_path / "big.docx", "园区通知", ["园区通知正文。"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/photo.bin", bytes(range(256)) * (6 * 2**10))  # 1.5 MB, ratio 1:1
    [outcome] = ingest([path], tmp_path / "docs", CITE)
    assert outcome.status == "refused" and "photo.bin is 1.5 MB expanded, over the limit of 1.0 MB" in outcome.detail


def test_a_member_that_holds_more_than_it_declares_is_refused(tmp_path):
    [outcome] = ingest([lying_member(tmp_path / "liar.docx")], tmp_path / "docs", CITE)
    assert outcome.status == "refused" and "liar.xml" in outcome.detail, outcome.detail


def test_a_yaml_alias_bomb_is_refused_not_expanded(tmp_path):
    path = tmp_path / "bomb.md"
    path.write_text(ALIAS_BOMB, "utf-8")
    assert path.stat().st_size < 500
    [outcome] = ingest([path], tmp_path / "docs", {})
    assert outcome.status == "refused" and "YAML aliases" in outcome.detail


def test_extracted_text_is_capped(tmp_path, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_MAX_CHARS", "1000")
    path = tmp_path / "long.txt"
    path.write_text("园区对入驻企业提供全程代办服务。" * 200, "utf-8")  # 3,200 characters
    [outcome] = ingest([path], tmp_path / "docs", CITE)
    assert outcome.status == "refused" and "3,200 characters extracted, over the limit of 1,000" in outcome.detail


def test_a_reader_that_runs_too_long_is_stopped_at_the_time_limit():
    started = time.monotonic()
    with pytest.raises(DocumentError, match="time limit of 0.5 s"):
        isolated.run(time.sleep, 30, limits=Limits(seconds=0.5))
    assert time.monotonic() - started < 10  # killed, not waited for


def test_a_reader_that_needs_too_much_memory_is_refused():
    with pytest.raises(DocumentError, match="more memory than the limit of 128 MB"):
        isolated.run(bytearray, 2**30, limits=Limits(memory_bytes=128 * 2**20))


def test_a_reader_that_dies_says_whether_the_file_or_the_server_is_at_fault():
    """A reader killed by a signal (a library aborting on the file) blames the file; one that exits with a code
    of its own never read it (it could not start), and staff must not be told the file is damaged."""
    import os

    with pytest.raises(DocumentError, match=r"stopped \(signal 6\).*or is damaged"):
        isolated.run(os.abort)
    with pytest.raises(DocumentError, match=r"could not run \(exit code 3\).*not read.*fault of the server") as refused:
        isolated.run(os._exit, 3)
    assert "damaged" not in str(refused.value)


def test_a_refusal_is_a_picklable_reason_and_a_library_error_becomes_one():
    with pytest.raises(DocumentError, match=r"cannot read the file \(ZeroDivisionError"):
        isolated.run(divmod, 1, 0)
    assert isolated.run(divmod, 7, 2) == (3, 1)


# --- the console ------------------------------------------------------------------------------


def upload(client, name: str, data: bytes, **meta):
    token = csrf_token(client, "/staff/knowledge")
    return client.post(
        "/staff/knowledge/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **meta},
        content_type="multipart/form-data",
    )


def flashed(response) -> str:
    match = re.search(r'<p class="flash error" role="alert">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert match, response.get_data(as_text=True)[-2000:]
    return match.group(1)


@pytest.mark.parametrize(
    "name, make, chinese",
    [
        ("通知.docx", lambda d: zip_bomb(d / "b.docx").read_bytes(), "压缩炸弹"),
        ("通知.md", lambda d: ALIAS_BOMB.encode(), "YAML 别名"),
    ],
)
def test_the_console_refuses_bombs_in_chinese_and_writes_nothing(app, admin, tmp_path, name, make, chinese):
    response = upload(admin, name, make(tmp_path), **CITE)
    assert response.status_code == 400
    message = flashed(response)
    assert chinese in message and name in message
    assert not (tmp_path / "data" / "docs").exists() or not list((tmp_path / "data" / "docs").iterdir())
    assert rows(app, IndexJob) == []


def _reasons() -> list[str]:
    """Every reason the reading code can give, as text (placeholders filled with x)."""
    reasons = []
    for module in ("ingest", "readers", "documents", "read_limits", "isolated", "safe_yaml"):
        tree = ast.parse((ROOT / "knowledge" / f"{module}.py").read_text("utf-8"))
        # Manifests are read by the command line only, never uploaded through the console.
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and "manifest" not in f.name]
        for node in (n for f in functions for n in ast.walk(f)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") in ("DocumentError", "AliasRefused")
                and node.args
                and isinstance(node.args[0], (ast.JoinedStr, ast.Constant))
            ):
                arg = node.args[0]
                parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
                text = "".join(p.value if isinstance(p, ast.Constant) else "x" for p in parts)
                reasons.append(re.sub(r"^x: ", "", text))
    return sorted({r for r in reasons if r.strip() != "x"})


def test_every_reason_a_file_is_refused_reaches_the_console_in_chinese():
    reasons = _reasons()
    assert len(reasons) > 25  # the scan found the reasons, not nothing
    untranslated = [r for r in reasons if refusal_message(r).startswith("文件无法使用")]
    assert untranslated == []
    assert all(re.search(r"[\u4e00-\u9fff]", refusal_message(r)) for r in reasons)
