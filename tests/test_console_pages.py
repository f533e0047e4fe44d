"""Console pages: dashboard, conversations and their filters, correct, ask, knowledge, leads, handoffs."""

from __future__ import annotations

import csv
import io

import pytest

from appsupport import FakeKnowledge, add_staff, csrf_token, login, rows
from bot import db
from bot.models import FaqCorrection, Handoff, IndexJob, Lead, Turn
from knowledge.library import document_paths

SOURCE_MD = """---
title: 杭州临空生物医药园开园
publisher: 杭州网
published: '2024-03-12'
url: https://hwyst.hangzhou.com.cn/xwfb/content/2024-03/12/content_8700233.htm
category: release
---

一基金，即组建不少于2支生物医药专项基金。
"""
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def staff(app, client):
    add_staff(app, "li", role="admin")
    assert login(client, "li").status_code == 302
    return client


def chat(client, message, sender="web-alice", **meta):
    return client.post("/api/chat", json={"sender_id": sender, "message": message}).get_json()


def set_meta(app, **meta):
    app.extensions["dialogue"].meta = {"sources": [], **meta}


def seed_turns(app, client):
    set_meta(app, outcome="answered", confidence=0.9)
    answered = chat(client, "园区在哪里")["turn_id"]
    set_meta(app, outcome="abstained", confidence=0.1)
    abstained = chat(client, "招商电话是多少")["turn_id"]
    set_meta(app, outcome="out_of_scope")
    chat(client, "今天天气如何")
    set_meta(app, outcome="answered", confidence=0.7)
    disliked = chat(client, "园区有产业基金吗")["turn_id"]
    client.post("/api/chat/feedback", json={"sender_id": "web-alice", "turn_id": disliked, "rating": "down"})
    return answered, abstained, disliked


def test_dashboard_counts_each_outcome_and_thumbs_down(app, staff):
    seed_turns(app, staff)
    html = staff.get("/staff/").get_data(as_text=True)
    assert "<svg" in html and "每日对话结果图" in html
    data = staff.get("/api/staff/stats").get_json()
    totals = data["totals"]
    assert (
        totals["turns"],
        totals["answered"],
        totals["abstained"],
        totals["out_of_scope"],
        totals["thumbs_down"],
    ) == (4, 2, 1, 1, 1)
    today = data["daily"][-1]
    assert (today["answered"], today["abstained"], today["out_of_scope"], today["handoff"], today["thumbs_down"]) == (
        2,
        1,
        1,
        0,
        1,
    )
    assert sum(d["answered"] for d in data["daily"]) == 2


@pytest.mark.parametrize(
    "filter_name,expected",
    [
        ("abstained", ["招商电话是多少"]),
        ("thumbs_down", ["园区有产业基金吗"]),
        ("out_of_scope", ["今天天气如何"]),
        ("all", ["园区有产业基金吗", "今天天气如何", "招商电话是多少", "园区在哪里"]),
    ],
)
def test_conversation_filters(app, staff, filter_name, expected):
    seed_turns(app, staff)
    turns = staff.get(f"/api/staff/turns?filter={filter_name}").get_json()["turns"]
    assert [t["user_text"] for t in turns] == expected
    html = staff.get(f"/staff/conversations?filter={filter_name}").get_data(as_text=True)
    for text in expected:
        assert text in html
    assert html.count('class="turn card"') == len(expected)


def test_a_turn_shows_its_passages_and_scores(app, staff):
    app.extensions["dialogue"].down = True  # degraded mode logs the knowledge hits with scores
    app.extensions["knowledge"] = FakeKnowledge()
    turn_id = chat(staff, "园区在哪里")["turn_id"]
    html = staff.get(f"/staff/turns/{turn_id}").get_data(as_text=True)
    assert "park#0" in html and "7.500" in html and "0.610" in html and "0.0328" in html


def test_xss_in_a_message_stays_text_in_the_console(app, staff):
    app.extensions["dialogue"].replies = [{"text": XSS, "buttons": [], "sources": []}]
    turn_id = chat(staff, XSS)["turn_id"]
    for path in ("/staff/conversations", f"/staff/turns/{turn_id}"):
        html = staff.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_correcting_a_turn_writes_a_cited_faq_document_and_reindexes(app, staff, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "park-opens.md").write_text(SOURCE_MD, "utf-8")
    built = []
    app.extensions["knowledge_builder"] = lambda settings: built.append(
        sorted(p.name for p in document_paths(settings).values())
    )
    staff_docs = tmp_path / "data" / "docs"  # the instance's data directory, not the shipped folder
    turn_id = chat(staff, "园区有产业基金吗")["turn_id"]
    token = csrf_token(staff, f"/staff/turns/{turn_id}")
    answer = "有。园区将组建不少于2支生物医药专项基金。"
    response = staff.post(
        f"/staff/turns/{turn_id}",
        data={"question": "园区有产业基金吗", "answer": answer, "source": "park-opens", "csrf_token": token},
    )
    assert response.status_code == 302

    from knowledge.documents import load_markdown

    [faq_path] = [p for p in staff_docs.glob("faq-correction-*.md")]
    assert [p.name for p in docs.iterdir()] == ["park-opens.md"]  # the shipped folder is untouched
    doc = load_markdown(faq_path)
    assert doc.category == "faq"
    assert (doc.title, doc.publisher, doc.published, doc.url) == (
        "杭州临空生物医药园开园",
        "杭州网",
        "2024-03-12",
        "https://hwyst.hangzhou.com.cn/xwfb/content/2024-03/12/content_8700233.htm",
    )
    assert doc.text == f"园区有产业基金吗？\n{answer}"
    assert built == [sorted(["park-opens.md", faq_path.name])]  # the rebuild saw the new document
    [correction] = rows(app, FaqCorrection)
    assert (correction.turn_id, correction.status, correction.source_doc_id) == (turn_id, "live", "park-opens")
    assert rows(app, Turn)[0].corrected is True
    assert [j.status for j in rows(app, IndexJob)] == ["done"]
    page = staff.get(f"/staff/turns/{turn_id}").get_data(as_text=True)
    assert "已生效" in page

    # A second correction of the same question replaces the first document.
    staff.post(
        f"/staff/turns/{turn_id}",
        data={"question": "园区有产业基金吗？", "answer": "有，两支。", "source": "park-opens", "csrf_token": token},
    )
    remaining = sorted(p.name for p in staff_docs.glob("faq-correction-*.md"))
    assert len(remaining) == 1 and remaining[0] != faq_path.name
    assert [c.active for c in rows(app, FaqCorrection)] == [False, True]


def test_a_failed_reindex_marks_the_correction_failed(app, staff, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "park-opens.md").write_text(SOURCE_MD, "utf-8")

    def broken(settings):
        raise RuntimeError("disk full")

    app.extensions["knowledge_builder"] = broken
    turn_id = chat(staff, "园区有产业基金吗")["turn_id"]
    token = csrf_token(staff, f"/staff/turns/{turn_id}")
    staff.post(
        f"/staff/turns/{turn_id}", data={"question": "q", "answer": "a", "source": "park-opens", "csrf_token": token}
    )
    [correction] = rows(app, FaqCorrection)
    assert correction.status == "failed" and "disk full" in correction.error
    assert rows(app, IndexJob)[0].status == "failed"


def test_a_correction_needs_a_real_source_document(app, staff, tmp_path):
    (tmp_path / "docs").mkdir()
    turn_id = chat(staff, "园区有产业基金吗")["turn_id"]
    token = csrf_token(staff, f"/staff/turns/{turn_id}")
    for source in ("", "../../etc/passwd", "missing"):
        response = staff.post(
            f"/staff/turns/{turn_id}", data={"question": "q", "answer": "a", "source": source, "csrf_token": token}
        )
        assert response.status_code == 400
    assert rows(app, FaqCorrection) == [] and rows(app, Turn)[0].corrected is False


@pytest.mark.parametrize("abstain", [False, True])
def test_ask_shows_the_answer_the_passages_and_the_decision(app, staff, abstain):
    app.extensions["knowledge"] = FakeKnowledge(abstain=abstain)
    html = staff.get("/staff/ask?q=园区在哪里&top_k=3").get_data(as_text=True)
    assert app.extensions["knowledge"].asked == ["园区在哪里"]
    assert "park#0" in html and "7.500" in html and "0.610" in html and "0.0328" in html
    if abstain:
        assert "不回答" in html and 'id="ask-answer"' not in html
        # what the tenant is pointed to instead of an answer
        assert 'id="ask-see-also"' in html and "开园，杭州网，2024-03-12" in html
    else:
        assert "园区位于机场西侧。" in html and "不回答" not in html


def test_hit_testing_shows_the_threshold_that_applied(app, staff, kb):
    """A curated answer is held against its own threshold, not a document sentence's."""
    app.extensions["knowledge"] = kb
    curated = kb.decision.curated_threshold
    assert curated is not None and curated != kb.decision.threshold  # else this test shows nothing
    answer = kb.ask("园区在哪里")
    assert answer.hits[0].category == "faq" and answer.threshold == curated
    html = staff.get("/staff/ask?q=园区在哪里").get_data(as_text=True)
    assert f"回答（置信度 {answer.confidence:.2f} ≥ 阈值 {curated:.2f}）" in html


def test_hit_testing_says_which_fact_declined_instead_of_a_threshold(app, staff):
    """Declined by a fact above the threshold (the cited sentence only states a plan): the page must not
    claim 0.93 < 0.83."""
    knowledge = FakeKnowledge(abstain=True)
    knowledge.answer.confidence, knowledge.answer.declined_because = 0.93, "a plan, not what is"
    app.extensions["knowledge"] = knowledge
    html = staff.get("/staff/ask?q=园区有几家企业入驻了").get_data(as_text=True)
    verdict = html.split('id="ask-verdict">')[1].split("<")[0]
    assert verdict == "不回答：引用的句子只有规划，问的是现状"


def test_knowledge_lists_uploads_and_removes_documents(app, staff, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "park-opens.md").write_text(SOURCE_MD, "utf-8")
    (docs / "policy-old.md").write_text(
        SOURCE_MD.replace("category: release", "category: policy\nvalid_until: '2020-01-01'"), "utf-8"
    )
    built = []
    app.extensions["knowledge_builder"] = lambda settings: built.append(1)
    html = staff.get("/staff/knowledge").get_data(as_text=True)
    assert "park-opens" in html and "已过期" in html

    token = csrf_token(staff, "/staff/knowledge")
    upload = staff.post(
        "/staff/knowledge/upload",
        data={
            "csrf_token": token,
            "file": (io.BytesIO("园区提供人才公寓。".encode()), "talent.txt"),
            "title": "人才公寓",
            "publisher": "管委会",
            "published": "2024-05-01",
            "url": "https://x/t",
            "category": "policy",
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    [added] = [p for p in (tmp_path / "data" / "docs").glob("*talent*.md")]
    assert "人才公寓" in added.read_text("utf-8") and len(built) == 1
    assert len(list(docs.glob("*.md"))) == 2  # nothing written into the shipped folder
    bad = staff.post(
        "/staff/knowledge/upload",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "evil.exe")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and len(list((tmp_path / "data" / "docs").glob("*.md"))) == 1  # the page again
    assert "只支持" in bad.get_data(as_text=True)

    assert staff.post(f"/staff/knowledge/{added.stem}/remove", data={"csrf_token": token}).status_code == 302
    assert not added.exists() and len(built) == 2
    # Removing a shipped document leaves the git tree alone and records it as withdrawn.
    assert staff.post("/staff/knowledge/policy-old/remove", data={"csrf_token": token}).status_code == 302
    html = staff.get("/staff/knowledge").get_data(as_text=True)
    assert (docs / "policy-old.md").exists() and '<span class="meta">policy-old</span>' not in html
    assert [j.kind for j in rows(app, IndexJob)] == ["upload", "remove", "remove"]


def test_leads_change_status_and_export_as_excel_friendly_csv(app, staff):
    with app.app_context():
        s = db.session()
        s.add(Lead(idempotency_key="a", name="王经理", company="临空生物", phone="13800000000", need="研发用房"))
        s.add(Lead(idempotency_key="b", name='=HYPERLINK("http://evil")', company="某公司", phone="1"))
        s.commit()
    html = staff.get("/staff/leads").get_data(as_text=True)
    assert "临空生物" in html and "研发用房" in html
    first = rows(app, Lead)[0]
    token = csrf_token(staff, "/staff/leads")
    staff.post(f"/staff/leads/{first.id}", data={"status": "contacted", "notes": "已电话联系", "csrf_token": token})
    assert (rows(app, Lead)[0].status, rows(app, Lead)[0].notes) == ("contacted", "已电话联系")

    response = staff.get("/staff/leads.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["企业"] for r in table} == {"临空生物", "某公司"}
    assert next(r for r in table if r["企业"] == "临空生物")["状态"] == "已联系"
    assert next(r for r in table if r["企业"] == "某公司")["联系人"].startswith("'=")  # no formula injection
    only_new = list(
        csv.DictReader(io.StringIO(staff.get("/staff/leads.csv?status=new").get_data().decode("utf-8-sig")))
    )
    assert [r["企业"] for r in only_new] == ["某公司"]


def test_handoff_queue_reply_reaches_the_widget_and_release_returns_to_the_bot(app, staff):
    fake = app.extensions["dialogue"]
    set_meta(app, outcome="handoff")
    chat(staff, "转人工", sender="web-carol")
    chat(staff, "请问租金多少", sender="web-carol")
    html = staff.get("/staff/handoffs").get_data(as_text=True)
    assert "转人工" in html and "请问租金多少" in html
    [handoff] = rows(app, Handoff)
    token = csrf_token(staff, "/staff/handoffs")
    staff.post(f"/staff/handoffs/{handoff.id}/reply", data={"text": "您好，租金面议。", "csrf_token": token})
    polled = staff.get("/api/chat/poll").get_json()  # web-carol's token, as a cookie
    assert polled["handoff"] is True and [m["text"] for m in polled["messages"]] == ["您好，租金面议。"]

    fake.down = True  # Rasa cannot be told to resume: the conversation stays with staff
    page = staff.post(f"/staff/handoffs/{handoff.id}/release", data={"csrf_token": token}, follow_redirects=True)
    assert "智能助手暂时不可达" in page.get_data(as_text=True)
    assert rows(app, Handoff)[0].status == "open"
    fake.down = False

    staff.post(f"/staff/handoffs/{handoff.id}/release", data={"csrf_token": token})
    [handoff] = rows(app, Handoff)
    assert handoff.status == "closed" and handoff.sender_id is None
    assert fake.resumed == ["web-carol"]  # Rasa's pause is lifted too
    assert staff.get("/api/chat/poll").get_json()["handoff"] is False
    set_meta(app, outcome="answered")
    sent_before = len(fake.sent)
    chat(staff, "园区在哪里", sender="web-carol")
    assert len(fake.sent) == sent_before + 1  # the bot answers again
    assert "目前没有等待人工的会话" in staff.get("/staff/handoffs").get_data(as_text=True)
