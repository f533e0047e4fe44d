"""Follow configured websites and keep their pages in the knowledge base: add, update, retire.

Policies change on the issuing site; a knowledge base filled by hand goes
stale, and a superseded or withdrawn policy keeps being cited. `python -m
knowledge sync` reads the sites in KNOWLEDGE_SYNC_CONFIG (YAML, see README):

    sites:
      - name: xiaoshan                       # ids are sync-<name>-...
        sitemap: https://www.example.gov.cn/sitemap.xml   # and/or
        start_urls: [https://www.example.gov.cn/zcwj/]    # pages whose links are followed one level
        allow: [www.example.gov.cn]          # hosts that may be fetched (default: the sitemap's/start URLs')
        category: policy                     # default release
        publisher: 萧山区人民政府              # when a page names no issuer
        scope: 萧山区                          # when a page names no place
        delay: 2                             # seconds between two requests to the site (default 2)
        max_pages: 200

It honours robots.txt and the allow-list, waits between requests, and asks
with If-None-Match / If-Modified-Since so an unchanged page costs a 304.
Each page is read like an upload (in the limited child, metadata proposed
from its text, knowledge/drafts.py) and written to the data directory; a page
that is gone (404/410, or no longer listed) is retired: its document is moved
to data/removed. A page whose date cannot be read is kept with its date
unknown, never a placeholder. The run reports what changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
import urllib.robotparser
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from .config import Settings

log = logging.getLogger(__name__)
STATE = "sync-state.json"
USER_AGENT = "LingkongParkKnowledgeSync/1.0"
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
_HREF = re.compile(r"""<a\s[^>]*href=["']([^"'#]+)["']""", re.IGNORECASE)
TIMEOUT_S = 20
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class Report:
    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    retired: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (url, reason)
    skipped: list = field(default_factory=list)  # (url, reason): robots.txt or the allow-list

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def lines(self) -> list[str]:
        out = [f"{kind:9} {item}" for kind in ("added", "updated", "retired") for item in getattr(self, kind)]
        out += [f"refused   {url}: {reason}" for url, reason in self.refused]
        out += [f"skipped   {url}: {reason}" for url, reason in self.skipped]
        out.append(
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.retired)} retired, {len(self.refused)} refused."
        )
        return out


def load_config(path: Path) -> list[dict]:
    from . import safe_yaml

    data = safe_yaml.load(Path(path).read_text("utf-8")) or {}
    sites = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(sites, list) or not all(isinstance(s, dict) and s.get("name") for s in sites):
        raise ValueError(f"{path}: expected `sites:` with a list of sites, each with a name")
    for site in sites:
        if not re.fullmatch(r"[a-z0-9-]{1,40}", str(site["name"])):
            raise ValueError(f"{path}: site name {site['name']!r} must be lower-case letters, digits and '-'")
        if not site.get("sitemap") and not site.get("start_urls"):
            raise ValueError(f"{path}: site {site['name']} needs a sitemap or start_urls")
    return sites


class Fetcher:
    """Polite HTTP: one site's requests spaced by its delay, robots.txt honoured, only allowed hosts."""

    def __init__(self, allow: set[str], delay: float):
        import requests

        self.session = requests.Session()
        self._errors = requests.RequestException
        self.session.headers["User-Agent"] = USER_AGENT
        self.allow, self.delay = allow, delay
        self._last = 0.0
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def allowed(self, url: str) -> str:
        """'' when url may be fetched, else why not."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in self.allow:
            return "not on the allow-list"
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            robots = urllib.robotparser.RobotFileParser()
            response = self.get(f"{origin}/robots.txt", check=False)
            if response is not None and response.status_code == 200:
                robots.parse(response.text.splitlines())
            elif response is None or response.status_code >= 500:
                robots.disallow_all = True  # unreachable or failing: assume nothing may be fetched (RFC 9309)
            else:
                robots.parse([])  # no robots.txt (4xx): everything allowed
            self._robots[origin] = robots
        return "" if self._robots[origin].can_fetch(USER_AGENT, url) else "disallowed by robots.txt"

    def get(self, url: str, headers: dict | None = None, check: bool = True):
        if check and self.allowed(url):
            return None
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            response = self.session.get(
                url, headers=headers or {}, timeout=TIMEOUT_S, allow_redirects=True, stream=True
            )
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
            response._content = body[:MAX_BYTES]
        except (self._errors, OSError) as exc:  # network failure: reported for this URL, the run goes on
            log.warning("sync fetch failed", extra={"url": url, "error": type(exc).__name__})
            response = None
        self._last = time.monotonic()
        return response


def _urls(site: dict, fetcher: Fetcher, report: Report) -> tuple[list[str], bool]:
    """The site's page URLs: the sitemap's (a sitemap index is followed one level) and the start pages' links;
    and whether every listing could be read (if not, a page missing from it is not known to be gone)."""
    found: list[str] = []
    complete = True
    sitemaps = [site["sitemap"]] if site.get("sitemap") else []
    for depth in range(2):
        nested = []
        for sitemap in sitemaps:
            response = fetcher.get(sitemap)
            if response is None or response.status_code != 200:
                report.refused.append((sitemap, "the sitemap cannot be read"))
                complete = False
                continue
            locs = _LOC.findall(response.text)
            if "<sitemapindex" in response.text[:2000] and depth == 0:
                nested.extend(locs)
            else:
                found.extend(locs)
        sitemaps = nested
    for start in site.get("start_urls") or []:
        response = fetcher.get(start)
        if response is None or response.status_code != 200:
            report.refused.append((start, "the start page cannot be read"))
            complete = False
            continue
        found.extend(urljoin(start, href) for href in _HREF.findall(response.text))
    unique = list(dict.fromkeys(urldefrag(u)[0] for u in found))
    pages = []
    for url in unique:
        why = fetcher.allowed(url)
        if why:
            report.skipped.append((url, why))
        elif not re.search(r"\.(jpg|jpeg|png|gif|css|js|zip|rar|xls|xlsx|doc)$", urlsplit(url).path, re.IGNORECASE):
            pages.append(url)
    return pages[: int(site.get("max_pages", 200))], complete


def doc_id_for(site: str, url: str) -> str:
    """Stable per URL: the same page is the same document across runs."""
    return f"sync-{site}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def _suffix(url: str, content_type: str) -> str:
    path = urlsplit(url).path.lower()
    for suffix in (".pdf", ".docx", ".txt"):
        if path.endswith(suffix) or suffix[1:] in content_type:
            return suffix
    return ".html"


def _document(site: dict, url: str, body: bytes, suffix: str, settings: Settings):
    """The page as a Document, metadata read from its text; raises DocumentError with the reason."""
    from . import isolated
    from .documents import Document, DocumentError, parse_markdown
    from .drafts import draft_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"page{suffix}"
        path.write_bytes(body)
        draft = isolated.run(draft_file, path, settings.lexicon_dir, site.get("category", "release"), url)
    if draft.error:
        raise DocumentError(draft.error)
    meta = draft.meta
    doc_id = doc_id_for(site["name"], url)
    doc = Document(
        doc_id=doc_id,
        title=meta.get("title") or "",
        text=draft.text,
        url=url,
        publisher=meta.get("issuer") or site.get("publisher", ""),
        published=meta.get("published", ""),
        category=meta.get("category") or "release",
        issuer=meta.get("issuer", ""),
        doc_number=meta.get("doc_number", ""),
        valid_from=meta.get("valid_from", ""),
        valid_until=meta.get("valid_until", ""),
        scope=meta.get("scope") or site.get("scope", ""),
    )
    if not doc.title or not doc.publisher:
        raise DocumentError(
            f"the page states no {'title' if not doc.title else 'issuer'}; "
            "set the site's publisher or ingest it by hand"
        )
    return parse_markdown(doc.to_markdown(), doc_id)  # the same checks as any document


def _retire(settings: Settings, doc_id: str) -> None:
    from .versions import forget

    forget(settings, doc_id)
    path = settings.staff_docs_dir / f"{doc_id}.md"
    if path.exists():
        archive = settings.data_dir / "removed" / f"{doc_id}-{time.strftime('%Y%m%dT%H%M%S')}.md"
        archive.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), archive)


def sync_site(site: dict, settings: Settings, state: dict, report: Report) -> None:
    from .documents import DocumentError
    from .ingest import write_document

    hosts = {urlsplit(u).hostname for u in [site.get("sitemap"), *(site.get("start_urls") or [])] if u}
    fetcher = Fetcher(set(site.get("allow") or hosts), float(site.get("delay", 2)))
    pages, complete = _urls(site, fetcher, report)
    settings.staff_docs_dir.mkdir(parents=True, exist_ok=True)
    gone: set[str] = set()
    for url in pages:
        known = state.get(url, {})
        headers = {
            k: v
            for k, v in (("If-None-Match", known.get("etag")), ("If-Modified-Since", known.get("last_modified")))
            if v
        }
        response = fetcher.get(url, headers)
        if response is None:
            report.refused.append((url, "the page cannot be fetched"))
            continue
        if response.status_code == 304 and known:
            report.unchanged.append(url)
            continue
        if response.status_code in (404, 410):
            gone.add(url)  # retired below (a failed fetch is not a page that is gone)
            continue
        if response.status_code != 200:
            report.refused.append((url, f"HTTP {response.status_code}"))
            continue
        try:
            doc = _document(
                site, url, response.content, _suffix(url, response.headers.get("Content-Type", "")), settings
            )
        except DocumentError as exc:
            report.refused.append((url, str(exc)))
            continue
        entry = {
            "site": site["name"],
            "doc_id": doc.doc_id,
            "hash": doc.content_hash,
            "etag": response.headers.get("ETag", ""),
            "last_modified": response.headers.get("Last-Modified", ""),
        }
        if known.get("hash") == doc.content_hash and (settings.staff_docs_dir / f"{doc.doc_id}.md").exists():
            report.unchanged.append(url)
        else:
            write_document(doc, settings.staff_docs_dir)
            (report.updated if known else report.added).append(url)
        state[url] = entry
    # A site that is down (its sitemap unreadable) retires nothing: only a page it no longer lists, or 404/410.
    for url in [
        u for u, e in state.items() if e.get("site") == site["name"] and ((complete and u not in pages) or u in gone)
    ]:
        _retire(settings, state.pop(url)["doc_id"])  # no longer listed, or 404/410: the site withdrew it
        report.retired.append(url)


def sync(settings: Settings, config: Path) -> Report:
    """One pass over every configured site; the state (ETags, hashes) is kept in the data directory."""
    from .library import _write_json, load_all
    from .versions import supersede

    state_path = settings.data_dir / STATE
    try:
        state = json.loads(state_path.read_text("utf-8"))
    except (OSError, ValueError):
        state = {}
    report = Report()
    for site in load_config(config):
        sync_site(site, settings, state, report)
    _write_json(state_path, state)
    docs = load_all(settings)
    for url in report.added + report.updated:  # a re-issued policy on the site supersedes the old version
        doc = next((d for d in docs if d.doc_id == state[url]["doc_id"]), None)
        if doc is not None:
            supersede(settings, doc, docs)
    return report


def config_path(settings: Settings, given: str = "") -> Path:
    import os

    return Path(given or os.environ.get("KNOWLEDGE_SYNC_CONFIG") or settings.data_dir / "sync.yml")


def run_cli(args, settings: Settings) -> int:
    """`python -m knowledge sync`: one pass, or one every --every seconds (the Procfile's `sync` process).

    Repeating, a missing or broken configuration is reported and tried again next time rather than ending
    the process: honcho stops every process of the Procfile when one of them exits."""
    path = config_path(settings, args.config)
    while True:
        started = time.monotonic()
        if not args.every:
            return _pass(args, settings, path)
        try:
            _pass(args, settings, path)
        except Exception:  # repeating: one failed pass (a build error, a full disk) is logged, the next one runs
            log.exception("sync pass failed")
        time.sleep(max(1.0, args.every - (time.monotonic() - started)))


def _pass(args, settings: Settings, path: Path) -> int:
    if not path.exists():
        print(f"sync: no configuration at {path} (set KNOWLEDGE_SYNC_CONFIG; see README)", flush=True)
        return 2
    try:
        report = sync(settings, path)
    except ValueError as exc:  # a configuration error: said plainly
        print(f"error: {exc}", flush=True)
        return 2
    if args.json:
        print(
            json.dumps(
                {k: getattr(report, k) for k in ("added", "updated", "unchanged", "retired", "refused", "skipped")},
                ensure_ascii=False,
            ),
            flush=True,
        )
    else:
        print("\n".join(report.lines()), flush=True)
    if report.changed and args.build:
        from .index import build

        manifest, _ = build(settings, progress=False)
        print(f"index: {manifest.documents} documents, {manifest.chunks} passages", flush=True)
    return 1 if report.refused else 0
