"""Run as a script: one gateway process uploads a big-but-legal Word file; print what it cost.

A separate process so that its memory is the gateway's alone (the test
process has loaded indexes and models). Prints JSON: RSS and peak RSS before
and after the upload, which heavy modules the gateway imported, and how many
characters the stored document has.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from pathlib import Path

import psutil

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from appsupport import add_staff, csrf_token, login, make_app  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main(tmp: Path, small: Path, big: Path) -> None:
    app = make_app(tmp, KNOWLEDGE_REINDEX_SYNC=False)  # as served: the re-index worker builds
    (tmp / "docs").mkdir(exist_ok=True)
    client = app.test_client()
    add_staff(app, "boss", role="admin")
    login(client, "boss")

    def upload(name: str, data: bytes) -> int:
        token = csrf_token(client, "/staff/knowledge")
        return client.post(
            "/staff/knowledge/upload",
            data={
                "csrf_token": token,
                "file": (io.BytesIO(data), name),
                "url": "https://example.org/big",
                "published": "2024-05-01",
            },
            content_type="multipart/form-data",
        ).status_code

    warm = upload("small.docx", small.read_bytes())  # pays for lazy imports and the fork server once
    data = big.read_bytes()
    before = {"rss": rss_mb(), "peak": peak_mb()}
    status = upload("大文件.docx", data)
    after = {"rss": rss_mb(), "peak": peak_mb()}
    heavy = {name: name in sys.modules for name in ("docx", "torch", "transformers", "faiss", "numpy", "pypinyin")}
    written = sorted((tmp / "data" / "docs").glob("*.md"))
    chars = max((len(p.read_text("utf-8")) for p in written), default=0)
    print(
        json.dumps({"warm": warm, "status": status, "before": before, "after": after, "heavy": heavy, "chars": chars})
    )
    app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
