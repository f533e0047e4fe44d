"""Re-indexing off the web workers: the gateway queues, the re-index worker process builds.

A build in a gunicorn worker grew it from 81 MB to 1.06 GB after one upload.
Here the gateway only adds a job row; `python -m bot.reindex_worker` (run as
its own process, as the Procfile runs it) builds, reports progress in the
row, and the console then answers from the new document. A separate gateway
process shows that an upload of a big-but-legal file leaves its memory flat.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appsupport import add_staff, alembic_config, csrf_token, login, make_app, rows
from bot import db
from bot.models import IndexJob
from knowledge_files import make_docx

ROOT = Path(__file__).resolve().parent.parent
GUIDE = [
    "企业入驻园区前，可向园区管理办公室预约实地考察，考察后提交入驻申请表和项目计划书。",
    "园区对入驻企业提供注册登记、项目申报和人才招聘的全程代办服务。",
]


def gateway(tmp_path):
    """The app as served: uploads are queued, not built in the web worker."""
    shutil.copytree(ROOT / "knowledge" / "docs", tmp_path / "docs")
    (tmp_path / "faq").mkdir()  # no curated FAQ: the uploaded document must answer
    app = make_app(tmp_path, KNOWLEDGE_REINDEX_SYNC=False, KNOWLEDGE_FAQ_DIR=tmp_path / "faq")
    client = app.test_client()
    add_staff(app, "boss", role="admin")
    login(client, "boss")
    return app, client


def run_worker(tmp_path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "KNOWLEDGE_DOCS_DIR": str(tmp_path / "docs"),
        "KNOWLEDGE_DATA_DIR": str(tmp_path / "data"),
        "KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
        "KNOWLEDGE_FAQ_DIR": str(tmp_path / "faq"),
        "SECRET_KEY": "k",
        "SENDER_HASH_SALT": "s",
        "RASA_API_TOKEN": "t",
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.reindex_worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def upload(client, path: Path, **meta):
    token = csrf_token(client, "/staff/knowledge")
    return client.post(
        "/staff/knowledge/upload",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(path.read_bytes()), path.name),
            **meta,
        },
        content_type="multipart/form-data",
    )


@pytest.mark.slow  # starts the worker process, which builds a real index
def test_an_upload_is_queued_and_the_worker_process_builds_it(tmp_path):
    app, client = gateway(tmp_path)
    word = make_docx(
        tmp_path / "企业代办服务指南.docx", "园区企业代办服务指南", GUIDE, author="杭州临空经济示范区管委会"
    )
    assert upload(client, word, url="https://example.org/service-guide").status_code == 302
    [job] = rows(app, IndexJob)
    assert job.status == "queued" and not (tmp_path / "index").exists()  # nothing built in the gateway
    page = client.get("/staff/knowledge").get_data(as_text=True)
    assert "排队中" in page and 'id="worker-down"' in page  # no worker yet: staff are told so
    # A job a stopped worker left half-done goes back to the queue and is built too.
    with app.app_context():
        s = db.session()
        s.add(IndexJob(kind="remove", detail="left running", status="running"))
        s.commit()

    run_worker(tmp_path)

    jobs = rows(app, IndexJob)  # with the worker's own: there was no index when it started
    assert [(j.kind, j.status, j.progress) for j in jobs] == [
        ("upload", "done", 100),
        ("remove", "done", 100),
        ("startup", "done", 100),
    ], [j.message for j in jobs]
    assert re.fullmatch(r"\d+ 篇文档，\d+ 个段落", jobs[0].message) and jobs[0].started_at is not None
    assert len({j.message for j in jobs}) == 1  # one build served them all
    html = client.get("/staff/ask", query_string={"q": "园区对入驻企业提供哪些全程代办服务？"}).get_data(as_text=True)
    answer = re.search(r'<p class="a" id="ask-answer">(.*?)</p>\s*<ul class="sources"><li>(.*?)</li>', html, re.S)
    assert answer and answer.group(1) == GUIDE[1], re.sub(r"\s+", " ", html)[-2000:]
    assert "园区企业代办服务指南" in answer.group(2)
    app.extensions["db_engine"].dispose()


@pytest.mark.slow  # a big upload through the real re-index
def test_the_gateway_memory_stays_flat_through_a_big_upload(tmp_path):
    """A 1.8 M-character Word file (3.6 MB, legal: under every limit) through a gateway process of its own."""
    maker = (
        "import random, sys; sys.path.insert(0, 'tests'); from pathlib import Path; "
        "from knowledge_files import make_docx; rng = random.Random(0); "
        "cs = [chr(c) for c in range(0x4e00, 0x4e00 + 3000)]; "
        "make_docx(Path(sys.argv[1]), '大文件', [''.join(rng.choice(cs) for _ in range(300)) + '。' "
        "for _ in range(6000)], author='管委会'); "
        "make_docx(Path(sys.argv[2]), '小文件', ['园区提供人才公寓。'], author='管委会')"
    )
    big, small = tmp_path / "big.docx", tmp_path / "small.docx"
    subprocess.run([sys.executable, "-c", maker, str(big), str(small)], cwd=ROOT, check=True, timeout=300)
    work = tmp_path / "gateway"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "upload_memory.py"), str(work), str(small), str(big)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["warm"], report["status"]) == (302, 302)
    assert report["chars"] > 1_500_000  # the file really was read and stored
    # Read in a child process, built by the worker: the gateway never imports the reader, the model or
    # even the retrieval stack (knowledge/__init__ imports it on first use only).
    assert report["heavy"] == {
        "docx": False,
        "torch": False,
        "transformers": False,
        "faiss": False,
        "numpy": False,
        "pypinyin": False,
    }
    # Loosely: the upload body and the returned text, not the +381 MB of reading or the +1 GB of a build.
    assert report["after"]["rss"] - report["before"]["rss"] < 40, report
    assert report["after"]["peak"] - report["before"]["peak"] < 60, report


def test_healthz_reports_the_worker_without_it_deciding_readiness(tmp_path):
    app = make_app(
        tmp_path,
        KNOWLEDGE_REINDEX_SYNC=False,
        RASA_URL="http://127.0.0.1:9",
        ACTIONS_URL="http://127.0.0.1:9",
        HEALTH_TIMEOUT_S=0.2,
    )
    with app.app_context():
        s = db.session()
        s.add(IndexJob(kind="upload", detail="x", status="queued"))
        s.commit()
    body = app.test_client().get("/healthz").get_json()
    assert body["reindex"] == {"ok": False, "waiting": 1, "detail": "no heartbeat"}
    assert "reindex" not in body["components"]
    from bot.reindex_jobs import beat

    beat(app)
    assert app.test_client().get("/healthz").get_json()["reindex"]["ok"] is True
    app.extensions["db_engine"].dispose()


def test_the_index_jobs_migration_is_on_the_one_line_of_migrations_and_downgrades(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'park.db'}"
    cfg = alembic_config(url)
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1  # merged branches' migrations are re-chained, never left as two heads
    parent = script.get_revision("0008_index_jobs").down_revision
    command.upgrade(cfg, "head")
    engine = create_engine(url)
    columns = {c["name"] for c in inspect(engine).get_columns("index_jobs")}
    assert {"progress", "started_at"} <= columns
    command.downgrade(cfg, parent)
    assert not {"progress", "started_at"} & {c["name"] for c in inspect(engine).get_columns("index_jobs")}
    engine.dispose()


@pytest.mark.parametrize("name", ["Procfile", "Procfile.scaled"])
def test_make_run_starts_the_worker(name):
    processes = dict(line.split(":", 1) for line in (ROOT / name).read_text().splitlines() if ":" in line)
    assert processes["reindex"].strip() == ".venv/bin/python -m bot.reindex_worker"
