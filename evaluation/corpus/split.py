"""How the corpus questions were split into dev.yml and heldout.yml (run once, before tuning).

Held out: every question on a held-out document (about a quarter of the
documents, chosen by hash, so the engine meets documents it was never tuned
on) and about a quarter of the other questions (by hash of the question).
The seed release is never a held-out document: the engine was built on it.
Run from this folder: python3 split.py (it reads questions-*.yml and
manifest-*.yml, writes manifest.yml, dev.yml and heldout.yml, and removes
the inputs). test_corpus_eval checks that every question sits where
`held_out` puts it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

SEED = "2024-03-12-lingkong-biomedicine-park-opens"
HERE = Path(__file__).resolve().parent


def _bucket(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % 100


def held_out_doc(stem: str) -> bool:
    return stem != SEED and _bucket("doc:" + stem) < 25


def held_out(question: dict) -> bool:
    docs = [question.get("doc", "")] + list(question.get("docs", []))
    if question.get("doc") and held_out_doc(question["doc"]):
        return True
    if any(d and held_out_doc(d) for d in docs):
        return True
    return _bucket("q:" + question["q"]) < 25


def _dump(rows: list[dict], header: str) -> str:
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    for row in rows:
        lines.append(
            "- "
            + yaml.safe_dump(row, allow_unicode=True, default_flow_style=True, width=10_000, sort_keys=False).strip()
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    manifest = [
        {
            "path": f"docs/{SEED}.md",
            "title": "杭州临空生物医药园开园 打造“离世界最近”的生物医药专业产业平台",
            "publisher": "杭州网",
            "published": "2024-03-12",
            "url": "https://hwyst.hangzhou.com.cn/xwfb/content/2024-03/12/content_8700233.htm",
            "category": "release",
            "scope": "杭州生物科技谷",
            "quirks": ["verbatim seed"],
        }
    ]
    for path in sorted(HERE.glob("manifest-*.yml")):
        manifest += yaml.safe_load(path.read_text("utf-8"))
    (HERE / "manifest.yml").write_text(
        "# One entry per test twin: its metadata, and `source`, the real page it was written from.\n"
        + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=200),
        "utf-8",
    )
    questions = []
    for path in sorted(HERE.glob("questions-*.yml")):
        questions += yaml.safe_load(path.read_text("utf-8"))
    dev = [q for q in questions if not held_out(q)]
    heldout = [q for q in questions if held_out(q)]
    held_docs = sorted({Path(m["path"]).stem for m in manifest if held_out_doc(Path(m["path"]).stem)})
    note = "Written from the documents before the engine was tuned; split by split.py.\n"
    (HERE / "dev.yml").write_text(_dump(dev, "Dev set: tune on this.\n" + note), "utf-8")
    (HERE / "heldout.yml").write_text(
        _dump(
            heldout,
            "HELD-OUT set: never tune on it, never read its failures.\n"
            + note
            + "Held-out documents: "
            + ", ".join(held_docs),
        ),
        "utf-8",
    )
    for path in [*HERE.glob("manifest-*.yml"), *HERE.glob("questions-*.yml")]:
        path.unlink()
    print(f"{len(manifest)} documents ({len(held_docs)} held out), {len(dev)} dev, {len(heldout)} held-out questions")


if __name__ == "__main__":
    main()
