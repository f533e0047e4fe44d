"""Get the text and whatever citation fields a file carries, one reader per format.

Each reader returns (text, found) where found holds the metadata the file
itself states (title, publisher, published, url). The caller's metadata wins
over it, and ingestion refuses what still cannot be cited. Readers raise
DocumentError with a reason a person can act on.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from . import numbering
from .clean import clean_page
from .documents import DocumentError

# Policy numbers as Chinese governments write them: 杭临空管〔2024〕12号.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{2,12}[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*\d{1,4}\s*号")
_BLANK_LINES = re.compile(r"\n{3,}")


def _iso(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    text = str(value or "").strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    return match.group(0) if match else ""


def _tidy(text: str) -> str:
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# A PDF's text layer breaks every visual line, so a sentence arrives in pieces, and a piece without end
# punctuation reads as a heading (knowledge/structure.py). A line is joined to the next when it is as long as
# the block's longest lines (it was wrapped, not ended) and the next one does not open an item or article.
_ENDS = re.compile(r"[。！？；：!?;:…”」』]$")
WRAPPED_SHARE = 0.85  # of the block's longest line: shorter, and the line ended there on purpose
WRAPPED_MIN = 20  # characters: a page's body lines are longer; a column of short items is not one sentence


def unwrap_lines(text: str) -> str:
    """Paragraphs of a PDF page as the author wrote them, not as the page wrapped them."""
    blocks = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        widest = max((len(line) for line in lines), default=0)
        out: list[str] = []
        last = ""  # the previous line as the page had it: after a join, out[-1] is longer than any line
        for line in lines:
            wrapped = len(last) >= max(WRAPPED_SHARE * widest, WRAPPED_MIN) and not _ENDS.search(last)
            if wrapped and line and not numbering.opens_item(line):
                space = " " if last[-1].isascii() and line[0].isascii() else ""
                out[-1] += space + line
            else:
                out.append(line)
            last = line
        blocks.append("\n".join(out))
    return "\n\n".join(blocks)


# A printed policy repeats furniture on every page: the issuer's running header, "第 3 页 共 10 页", "- 3 -".
# In the text layer these lines land in mid-sentence (a page ends where the sentence does not) and become
# passages of their own. A line at a page's top or bottom edge that recurs there on at least two pages and
# half of them (numbers masked, so "- 3 -" and "- 4 -" are one line) is furniture, and so is a line that
# says it is a page number. A bare number on one page is not dropped: it may be a table's last cell.
EDGE_LINES = 2  # lines at each edge of a page that may be furniture
_PAGE_NUMBER = re.compile(r"^(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|page\s*\d+(?:\s*of\s*\d+)?)$", re.I)
_DIGITS = re.compile(r"\d+")


def _edge_keys(lines: list[str]) -> dict[int, str]:
    """A page's first and last EDGE_LINES non-empty lines, by index, with their numbers masked."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return {i: _DIGITS.sub("#", lines[i].strip()) for i in filled[:EDGE_LINES] + filled[-EDGE_LINES:]}


def drop_page_furniture(pages: list[str]) -> list[str]:
    """Each page's text without its running header, footer and page number."""
    split = [page.split("\n") for page in pages]
    edges = [_edge_keys(lines) for lines in split]
    seen: dict[str, int] = {}
    for keys in edges:
        for key in set(keys.values()):
            seen[key] = seen.get(key, 0) + 1
    running = {key for key, count in seen.items() if count >= 2 and count * 2 >= len(pages)}
    out = []
    for lines, keys in zip(split, edges):
        furniture = {i for i, key in keys.items() if key in running or _PAGE_NUMBER.match(lines[i].strip())}
        out.append("\n".join(line for i, line in enumerate(lines) if i not in furniture))
    return out


def read_text(path: Path, raw: bytes) -> tuple[str, dict]:
    """Plain text: a saved news page is cleaned to its article; other text is kept whole."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        page = clean_page(text)
    except ValueError:
        return _title_line(_tidy(text))
    return page.body, {"title": page.title, "published": page.published, "publisher": page.publisher}


_END = "。！？!?；;：:…”」』）)"
TITLE_MAX_CHARS = 60


def _title_line(text: str) -> tuple[str, dict]:
    """A first line that reads as a title (short, no end punctuation, more text after it) is the
    title, not the first sentence: kept in the body it was glued into the answer text."""
    first, _, rest = text.partition("\n")
    first = first.strip().lstrip("#").strip()
    if rest.strip() and 0 < len(first) <= TITLE_MAX_CHARS and first[-1] not in _END:
        return rest.strip(), {"title": first}
    return text, {}


def read_markdown(path: Path, raw: bytes) -> tuple[str, dict]:
    """Markdown without front matter: the text as written (it is not a saved news page)."""
    try:
        return _tidy(raw.decode("utf-8-sig")), {}
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_html(path: Path, raw: bytes) -> tuple[str, dict]:
    """The article of a web page, by trafilatura: navigation, footers and ads stay out."""
    import trafilatura

    page = trafilatura.bare_extraction(
        raw, with_metadata=True, include_tables=True, include_comments=False, favor_precision=True
    )
    if page is None or not (page.text or "").strip():
        raise DocumentError("no article text found in the HTML page")
    text = _tidy(page.text)
    title = (page.title or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()  # the headline is the title, not body text
    return text, {
        "title": title,
        "publisher": (page.sitename or page.author or "").strip(),
        "published": _iso(page.date),
        "url": (page.url or "").strip(),
    }


def read_pdf(path: Path, raw: bytes) -> tuple[str, dict]:
    """The text layer of a PDF. A scanned PDF has none and is refused, not indexed empty."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("the PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"cannot read the PDF ({type(exc).__name__}: {exc})") from exc
    # Pages joined by a line break, not a blank line: a sentence cut by a page break is rejoined like any
    # wrapped line once the footer between its halves is gone.
    text = unwrap_lines(_tidy("\n".join(drop_page_furniture(pages))))
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise DocumentError(
            f"the PDF has no text layer ({len(pages)} page(s), scanned images?): "
            "run OCR on it first, or ingest a text version"
        )
    info = reader.metadata or {}
    found = {"title": str(getattr(info, "title", "") or "").strip()}
    created = getattr(info, "creation_date", None)
    if created:
        found["published"] = _iso(created)
    return text, found


def read_docx(path: Path, raw: bytes) -> tuple[str, dict]:
    """Paragraphs and table rows of a Word document, in order of appearance."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    from .read_limits import check_archive

    check_archive(path)  # a zip bomb is refused before anything expands it
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"cannot read the Word file ({type(exc).__name__}: {exc})") from exc
    parts: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append("".join(node.text or "" for node in child.iter() if node.tag.endswith("}t")))
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = [
                        "".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                        for cell in row
                        if cell.tag.endswith("}tc")
                    ]
                    # A Markdown table row, so knowledge/structure.py names each cell by its column.
                    parts.append("| " + " | ".join(c.strip() for c in cells) + " |")
    text = _tidy("\n".join(parts))
    props = document.core_properties
    found = {"title": (props.title or "").strip(), "publisher": (props.author or "").strip()}
    if props.created:
        found["published"] = _iso(props.created)
    return text, found


READERS = {
    ".md": read_markdown,
    ".txt": read_text,
    ".text": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
SUFFIXES = tuple(READERS)


def policy_fields(text: str) -> dict:
    """What a policy states about itself: its number (文号), on a line of its own. A 文号 inside a
    sentence cites another document (a district's Q&A quoting the city policy), so it is not taken."""
    for line in text[:4000].splitlines():
        compact = re.sub(r"\s+", "", line.strip("（）() "))
        if DOC_NUMBER.fullmatch(compact):
            return {"doc_number": compact}
    return {}
