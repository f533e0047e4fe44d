"""Turn a scraped news page (plain text, as saved by a crawler) into its article.

A saved page carries the site's navigation, picture captions, a copyright
notice, lists of other stories and the news site's own contact block. None of
that is a park fact, and the contact block is dangerous: its hotline is the
newsroom's, not the park's. Only the article body survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{2})-(\d{2})")
# Where an article ends on Chinese news sites: the byline and what follows it.
_FOOTER = re.compile(
    r"^(来源[:：]|『相关阅读』|相关阅读|责任编辑|.{0,8}版权与免责声明|联系我们|Copyright|"
    r"版权所有|.{0,6}动态$)"
)
_SOURCE = re.compile(r"来源[:：]\s*([^\s、,，]+)")
_SENTENCE_PUNCT = re.compile(r"[。！？；!?;:：]")
_SENTENCE_END = re.compile(r"[。！？!?]")
_DATELINE_WITHIN = 40  # lines from the top of a saved page
_DATELINE_MAX = 80  # characters
# A caption is a short label under a photo: no sentence punctuation.
_CAPTION_MAX = 30
# An issuing body's name, as it stands above a policy's signature date.
ORG_END = re.compile(r"(人民政府|办公厅|办公室|委员会|管委会|委|局|厅|部|署|院|中心|集团|公司|协会|政府)$")
_SENTENCE_MARK = re.compile(r"[。！？；!?;，,]")


@dataclass
class CleanPage:
    title: str
    published: str  # ISO date, "" when the page shows none
    publisher: str  # "" when the page names no source
    body: str


def _iso(match: re.Match) -> str:
    y, m, d = [g for g in match.groups() if g is not None]
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def is_org(line: str) -> bool:
    """A line that only names one or more issuing bodies (joint issuers are spaced apart)."""
    names = line.split()
    return (
        bool(names)
        and len(line) <= 80
        and not _SENTENCE_MARK.search(line)
        and all(ORG_END.search(n) and len(n) <= 30 for n in names)
    )


def _is_signature(lines: list[str], i: int) -> bool:
    """A date alone on its line under the issuer's name signs a policy; it is not a page's dateline."""
    above = next((line for line in reversed(lines[:i]) if line), "")
    return bool(_DATE.fullmatch(lines[i].strip("（）() "))) and is_org(above)


def _is_caption(line: str) -> bool:
    return len(line) <= _CAPTION_MAX and not _SENTENCE_PUNCT.search(line)


def clean_page(raw: str) -> CleanPage:
    """Keep the title, date, source and the body paragraphs of a saved page.

    The title is the line just above the first dated line; the body runs from
    after that line to the byline or first footer marker.
    """
    lines = [line.strip() for line in raw.splitlines()]
    # A dateline sits near the top and is short; a date inside a sentence (or a
    # policy's signature date at its end) is not one.
    date_at = next(
        (
            i
            for i, line in enumerate(lines[:_DATELINE_WITHIN])
            if _DATE.search(line)
            and len(line) <= _DATELINE_MAX
            and not _SENTENCE_END.search(line)
            and not _is_signature(lines, i)
        ),
        None,
    )
    if date_at is None or date_at == 0:
        raise ValueError("no dated headline found: not a saved news page")
    title = next((lines[i] for i in range(date_at - 1, -1, -1) if lines[i]), "")
    published = _iso(_DATE.search(lines[date_at]))

    body: list[str] = []
    publisher = ""
    for line in lines[date_at + 1 :]:
        if _FOOTER.match(line):
            source = _SOURCE.search(line)
            if source:
                publisher = source.group(1)
            break
        if line and not _is_caption(line):
            body.append(line)
    if not body:
        raise ValueError("the page has no article text")
    return CleanPage(title=title, published=published, publisher=publisher, body="\n\n".join(body))
