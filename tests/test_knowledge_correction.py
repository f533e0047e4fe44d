"""A staff correction (a Markdown FAQ document) beats the curated YAML answer to the same question."""

import shutil
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, Settings
from knowledge.documents import Document, load_dir

CORRECTED = "有。临空经济示范区将组建不少于2支生物医药专项基金，具体申报方式请联系招商人员。"


@pytest.mark.slow  # builds a real index
def test_correction_wins_over_the_curated_faq(tmp_path):
    settings = Settings.from_env()
    docs = tmp_path / "docs"
    shutil.copytree(settings.docs_dir, docs)
    release = load_dir(docs)[0]
    correction = Document(
        doc_id="faq-correction-1",
        title=release.title,
        publisher=release.publisher,
        published=release.published,
        url=release.url,
        category="faq",
        text=f"园区有产业基金吗？\n{CORRECTED}",
    )
    (docs / "faq-correction-1.md").write_text(correction.to_markdown(), "utf-8")
    assert any(Path(settings.faq_dir).glob("*.yml")), "the curated FAQ must be present for this test to mean much"

    kb = KnowledgeBase.build(settings, docs_dir=docs, index_dir=tmp_path / "index")
    answer = kb.ask("园区有产业基金吗")
    assert not answer.abstained
    assert answer.text == CORRECTED
    assert answer.sources[0].publisher == "杭州网"
