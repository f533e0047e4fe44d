"""The seed page is cleaned to its article: no navigation, captions or the news site's contacts."""

from pathlib import Path

import pytest

from knowledge.clean import clean_page

SEED = Path(__file__).parent / "fixtures" / "seed_hwyst_2024-03-12.txt"


@pytest.fixture(scope="module")
def page():
    return clean_page(SEED.read_text("utf-8"))


def test_metadata_comes_from_the_page(page):
    assert page.title == "杭州临空生物医药园开园 打造“离世界最近”的生物医药专业产业平台"
    assert page.published == "2024-03-12"
    assert page.publisher == "杭州网"


def test_article_facts_are_kept(page):
    assert page.body.startswith("3月11日,杭州临空生物医药园在临空经济示范区率先开园")
    assert "位于杭州临空经济示范区机场西侧" in page.body
    assert "两轴六期两社区" in page.body
    assert page.body.rstrip().endswith("区域产业规模达到千亿元级。")


@pytest.mark.parametrize(
    "noise",
    [
        "85052222",  # the newsroom's hotline, not the park's
        "体育场路218号",  # the newsroom's street address
        "邮编",
        "杭州网首页",  # site navigation
        "所在位置",
        "相关阅读",
        "版权与免责声明",
        "杭网议事厅动态",
        "民意好声音",
        "Copyright",
        "浙ICP备",
        "生物科技谷标准厂房建设实景图",  # picture captions
        "生物科技谷展厅",
        "启动区标准厂房效果图",
        "记者 楼子璇",  # byline
    ],
)
def test_boilerplate_is_removed(page, noise):
    assert noise not in page.body


def test_committed_document_matches_the_cleaner(page):
    """knowledge/docs holds exactly what the cleaner makes of the seed."""
    from knowledge.documents import load_markdown

    doc = load_markdown(Path("knowledge/docs/2024-03-12-lingkong-biomedicine-park-opens.md"))
    assert doc.text.split() == page.body.split()
    assert (doc.publisher, doc.published, doc.category) == ("杭州网", "2024-03-12", "release")
    assert doc.url.startswith("https://hwyst.hangzhou.com.cn/")


def test_a_page_without_a_dated_headline_is_refused():
    with pytest.raises(ValueError, match="no dated headline"):
        clean_page("只是一些文字\n没有日期")
