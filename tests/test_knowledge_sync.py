"""Website sync against a fixture site this test serves on 127.0.0.1 and changes between two runs.

The site has a sitemap, a robots.txt that disallows /private/, a link to another
host name (localhost: same server, not on the allow-list), and answers
If-None-Match / If-Modified-Since with 304. Between the runs a page changes, a
page is removed (404 and out of the sitemap) and a page is added.
"""

from __future__ import annotations

import hashlib
import http.server
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge import Settings
from knowledge.documents import load_markdown
from knowledge.library import load_all
from knowledge.sync import doc_id_for, load_config, sync

KBDOCS = Path(__file__).parent / "fixtures" / "kbdocs"
NEWS = """<!doctype html><html><head><meta charset="utf-8"><title>{title}_临空新闻</title></head><body>
<nav>首页 | 新闻 | 政策</nav><article><h1>{title}</h1><p>发布时间：{day} 来源：临空发布</p>{body}</article>
<footer>版权所有 联系电话：0571-80000000</footer></body></html>"""


def news(title: str, day: str, *paragraphs: str) -> str:
    return NEWS.format(title=title, day=day, body="".join(f"<p>{p}</p>" for p in paragraphs))


class Site(http.server.SimpleHTTPRequestHandler):
    """Static files with ETag (SimpleHTTPRequestHandler has Last-Modified only); every request is logged."""

    log: list = []  # noqa: RUF012  (reset by the fixture; the handler is made per request)

    def end_headers(self):
        path = Path(self.translate_path(self.path))
        if path.is_file():
            self.send_header("ETag", f'"{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"')
        super().end_headers()

    def send_head(self):
        Site.log.append((self.headers.get("Host", "").split(":")[0], self.path, self.headers.get("If-None-Match")))
        path = Path(self.translate_path(self.path))
        tag = f'"{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"' if path.is_file() else None
        if tag and self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.end_headers()
            return None
        return super().send_head()

    def log_message(self, *args):
        pass


@pytest.fixture
def site(tmp_path, loopback):
    root = tmp_path / "site"
    (root / "zcwj").mkdir(parents=True)
    (root / "private").mkdir()
    server = loopback(lambda *a: Site(*a, directory=str(root)))
    Site.log = []
    return root, server.url, server.port


def sitemap(root: Path, base: str, pages: list[str]) -> None:
    locs = "".join(f"<url><loc>{base}/{p}</loc></url>" for p in pages)
    (root / "sitemap.xml").write_text(f'<?xml version="1.0"?><urlset>{locs}</urlset>', "utf-8")


def test_two_syncs_add_change_and_retire(site, tmp_path):
    root, base, port = site
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", "utf-8")
    (root / "zcwj" / "policy.html").write_text((KBDOCS / "policy-page.html").read_text("utf-8"), "utf-8")
    (root / "zcwj" / "opening.html").write_text(
        news("临空生物医药园正式开园", "2024-03-12", "3月12日上午，临空生物医药园举行开园仪式，首批12家企业签约入驻。"),
        "utf-8",
    )
    (root / "private" / "draft.html").write_text(news("内部草稿", "2024-01-01", "不应被抓取。"), "utf-8")
    sitemap(root, base, ["zcwj/policy.html", "zcwj/opening.html", "private/draft.html"])
    (root / "zcwj" / "index.html").write_text(
        f'<a href="http://localhost:{port}/zcwj/opening.html">镜像</a><a href="policy.html">政策</a>', "utf-8"
    )
    config = tmp_path / "sync.yml"
    config.write_text(
        f"sites:\n  - name: lingkong\n    sitemap: {base}/sitemap.xml\n"
        f"    start_urls: [{base}/zcwj/index.html]\n    allow: [127.0.0.1]\n    delay: 0.05\n"
        "    publisher: 临空经济示范区管委会\n",
        "utf-8",
    )
    (tmp_path / "docs").mkdir()
    settings = replace(Settings.from_env(), docs_dir=tmp_path / "docs", data_dir=tmp_path / "data")

    first = sync(settings, config)
    assert sorted(first.added) == [f"{base}/zcwj/opening.html", f"{base}/zcwj/policy.html"]
    assert not first.refused and not first.retired
    assert {(url, why) for url, why in first.skipped} == {
        (f"{base}/private/draft.html", "disallowed by robots.txt"),
        (f"http://localhost:{port}/zcwj/opening.html", "not on the allow-list"),
    }
    assert not any(path.startswith("/private/") for _, path, _ in Site.log)  # robots.txt honoured
    assert not any(host == "localhost" for host, _, _ in Site.log)  # the allow-list honoured
    policy = load_markdown(settings.staff_docs_dir / f"{doc_id_for('lingkong', base + '/zcwj/policy.html')}.md")
    assert (policy.doc_number, policy.published, policy.issuer, policy.url) == (
        "萧政办发〔2024〕12号",
        "2024-05-20",
        "杭州市萧山区人民政府办公室",
        f"{base}/zcwj/policy.html",
    )
    assert "0571-82899999" not in policy.text and "每个产品奖励200万元" in policy.text
    opening = load_markdown(settings.staff_docs_dir / f"{doc_id_for('lingkong', base + '/zcwj/opening.html')}.md")
    assert opening.published == "2024-03-12" and opening.title == "临空生物医药园正式开园"

    # Nothing changed: every page is asked for conditionally and answered 304.
    Site.log = []
    again = sync(settings, config)
    assert sorted(again.unchanged) == sorted(first.added) and not again.changed
    assert all(tag for _, path, tag in Site.log if path.startswith("/zcwj/") and path != "/zcwj/index.html")

    # The site changes: the policy is amended, the opening news is taken down, a new page appears.
    (root / "zcwj" / "policy.html").write_text(
        (KBDOCS / "policy-page.html").read_text("utf-8").replace("每个产品奖励200万元", "每个产品奖励300万元"), "utf-8"
    )
    (root / "zcwj" / "opening.html").unlink()
    (root / "zcwj" / "apartments.html").write_text(
        news("人才公寓开放申请", "2025-03-02", "园区人才公寓自3月起开放申请，租金按市场价的30%收取。"), "utf-8"
    )
    sitemap(root, base, ["zcwj/policy.html", "zcwj/apartments.html", "zcwj/opening.html"])
    second = sync(settings, config)
    assert second.updated == [f"{base}/zcwj/policy.html"]
    assert second.added == [f"{base}/zcwj/apartments.html"]
    assert second.retired == [f"{base}/zcwj/opening.html"]
    ids = {d.doc_id: d for d in load_all(settings)}
    assert "每个产品奖励300万元" in ids[doc_id_for("lingkong", f"{base}/zcwj/policy.html")].text
    assert doc_id_for("lingkong", f"{base}/zcwj/opening.html") not in ids
    assert list((settings.data_dir / "removed").glob("sync-lingkong-*.md"))  # retired, kept on record


def test_a_bad_configuration_is_refused_plainly(tmp_path):
    bad = tmp_path / "sync.yml"
    bad.write_text("sites:\n  - name: Bad Name\n    sitemap: http://127.0.0.1/s.xml\n", "utf-8")
    with pytest.raises(ValueError, match="lower-case"):
        load_config(bad)
    bad.write_text("sites:\n  - name: ok\n", "utf-8")
    with pytest.raises(ValueError, match="sitemap or start_urls"):
        load_config(bad)


def test_the_command_reports_and_a_missing_configuration_is_said(site, tmp_path, monkeypatch, capsys):
    from knowledge.__main__ import main

    root, base, _ = site
    (root / "zcwj" / "opening.html").write_text(
        news("临空生物医药园正式开园", "2024-03-12", "首批12家企业签约入驻。"), "utf-8"
    )
    sitemap(root, base, ["zcwj/opening.html"])
    (tmp_path / "docs").mkdir()
    monkeypatch.setenv("KNOWLEDGE_DOCS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(tmp_path / "data"))
    assert main(["sync"]) == 2 and "no configuration" in capsys.readouterr().out
    config = tmp_path / "sync.yml"
    config.write_text(
        f"sites:\n  - name: news\n    sitemap: {base}/sitemap.xml\n    delay: 0\n    publisher: 临空发布\n", "utf-8"
    )
    monkeypatch.setenv("KNOWLEDGE_SYNC_CONFIG", str(config))
    assert main(["sync"]) == 0
    assert "1 added, 0 updated, 0 unchanged, 0 retired, 0 refused." in capsys.readouterr().out


def test_a_site_that_is_down_retires_nothing(site, tmp_path):
    root, base, _ = site
    (root / "zcwj" / "opening.html").write_text(
        news("临空生物医药园正式开园", "2024-03-12", "首批12家企业签约入驻。"), "utf-8"
    )
    sitemap(root, base, ["zcwj/opening.html"])
    config = tmp_path / "sync.yml"
    config.write_text(
        f"sites:\n  - name: news\n    sitemap: {base}/sitemap.xml\n    delay: 0\n    publisher: 临空发布\n", "utf-8"
    )
    (tmp_path / "docs").mkdir()
    settings = replace(Settings.from_env(), docs_dir=tmp_path / "docs", data_dir=tmp_path / "data")
    assert len(sync(settings, config).added) == 1
    (root / "sitemap.xml").unlink()  # the listing is unreadable this time (as when the site is down)
    down = sync(settings, config)
    assert not down.retired and down.refused and len(load_all(settings)) == 1
