"""A document's text as pieces with their heading path: headings, sentences, table rows.

Policies are read by their structure: 第二条 under 第一章, a figure in a table
row under its column names. Passages keep that structure, so
- a heading (Markdown #, 第X章, 一、, （一）, or a short line with no end
  punctuation) becomes the heading path of the pieces below it, and is kept
  as a piece itself (投资进度已达56.29% is a fact); a short "label: value"
  line (总面积：约1.5平方公里) is a field of the section above it, not a heading;
- a table row becomes one sentence that names its columns
  (总投资额：50亿元人民币), so a passage holding it reads on its own;
- a line without end punctuation is never glued to the next sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import numbering
from .text import split_sentences

_MD_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
_END = re.compile(r"[。！？；!?;：:…”」』）)]\s*$")
_FIELD = re.compile(r"^[^：:]{1,12}[：:]\s*\S")  # 总面积：约1.5平方公里, a field under 基地二期
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
HEADING_MAX = 40  # characters: a longer line is text, whatever it starts with
SHORT_LINE = 30


@dataclass
class Piece:
    text: str
    heading: str  # the heading path above it, " > " joined
    is_heading: bool = False  # a heading line itself: it stands on a line of its own in a passage


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> tuple[list[str], str]:
    """Sentences for a Markdown table's rows, and its caption if it has one."""
    rows = [_cells(line) for line in lines if not _SEPARATOR.match(line)]
    caption = ""
    while rows and len(rows[0]) > 1 and all(not c for c in rows[0][1:]):
        caption = rows.pop(0)[0]  # | 某某概况 |  | : a title row
    if not rows:
        return [], caption
    header, body = rows[0], rows[1:]
    generic = len(header) == 2 and all(len(h) <= 4 for h in header) and body
    out = []
    if len(header) == 2 and (generic or not body):
        pairs = body if generic else rows
        out = [f"{k}：{_ended(v)}" for k, v in pairs if k and v]
    else:
        for row in body:
            cells = [(h, v) for h, v in zip(header, row) if v and v not in ("—", "-")]
            if cells:
                out.extend(_row(cells))
    return out, caption


def _row(cells: list[tuple[str, str]]) -> list[str]:
    """A table row as sentences: its cells joined (程序：优先审评，时限：130日。) as far as the first cell that
    holds sentences of its own (（1）…一百三十日；（2）…七十日；). Split into sentences there, the rest would no
    longer say which row it stands in (the cited "，政策支持：（1）…" of a comparison of four procedures
    answered for every one of them), so each later sentence is opened with the row's name, its first
    cell, and its cell's header."""
    name = cells[0][1].rstrip("。；;")
    out, current = [], ""
    for header, value in cells:
        label = f"{header}：" if header else ""
        sentences = split_sentences(value) or [value]
        for j, sentence in enumerate(sentences):
            # a cell's last sentence is joined to what follows by "，"; the others keep their own ending
            sentence = sentence.rstrip("。；;") if j == len(sentences) - 1 else sentence
            if j == 0:
                current += ("，" if current else "") + label + sentence
            else:
                out.append(_ended(current))
                current = f"{name}，{label}{sentence}"
    return out + [_ended(current)]  # the caller gives at least one cell


def _ended(sentence: str) -> str:
    return sentence if _END.search(sentence) else sentence + "。"


def _level(line: str) -> int:
    """Heading level of a line, 0 for body text."""
    if len(line) > HEADING_MAX or _END.search(line):
        return 0
    return numbering.heading_level(line) or (4 if len(line) <= SHORT_LINE and not _FIELD.match(line) else 0)


def _line_level(line: str) -> int:
    md = _MD_HEADING.match(line)
    return len(md.group(1)) if md else _level(line)


def _enter(path: list[tuple[int, str]], level: int, heading: str) -> list[tuple[int, str]]:
    """The heading path below a heading of `level`: the parts above that level, then the heading."""
    return [(k, v) for k, v in path if k < level] + [(level, heading)]


def _joined(path: list[tuple[int, str]]) -> str:
    return " > ".join(v for _, v in path)


def headings_along(heading: str, sentences: list[str], text: str) -> list[str]:
    """The heading path each of a passage's sentences stands under.

    A passage carries the heading path of its first piece; a heading inside it
    (基地二期, after the fields of 基地一期) starts a section for the sentences
    after it, and stands under itself. The path is rebuilt by the rules pieces()
    cut it with, so both read one definition.
    """
    # The passage's own path stands as given (its Markdown levels are not in the text any more);
    # a heading met inside the passage closes the parts of its level and deeper.
    path = [(_line_level(part), part) for part in heading.split(" > ") if part]
    lines = {line.strip() for line in text.splitlines()}
    out = []
    for sentence in sentences:
        # Only a whole line can be a heading: 四至为…以东 after a ； is the end of a field.
        level = _line_level(sentence) if sentence in lines else 0
        if level:
            path = _enter(path, level, sentence)
        out.append(_joined(path))
    return out


def pieces(text: str, title: str = "") -> list[Piece]:
    path: list[tuple[int, str]] = []  # (level, heading), outermost first
    out: list[Piece] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if _TABLE_ROW.match(line):
            j = i
            while j < len(lines) and _TABLE_ROW.match(lines[j].strip()):
                j += 1
            rows, caption = _table([lines[k].strip() for k in range(i, j)])
            heading = _joined(path)
            heading = f"{heading} > {caption}" if heading and caption else heading or caption
            out.extend(Piece(r, heading) for r in rows)
            i = j
            continue
        i += 1
        if not line:
            continue
        md = _MD_HEADING.match(line)
        level = len(md.group(1)) if md else _level(line)
        if md:
            line = md.group(2)
        if level and line != title:
            path = _enter(path, level, line)
            out.append(Piece(line, _joined(path[:-1]), is_heading=True))
            continue
        if level:
            continue  # the title repeated as a heading
        heading = _joined(path)
        out.extend(Piece(s, heading) for s in split_sentences(line))
    return out


def join(texts: list[str], headings: frozenset = frozenset()) -> str:
    """Sentences back into text; a piece without end punctuation keeps its line break, and a
    heading (the indexes in `headings`) starts a line, so a passage's text still shows where a
    section begins (headings_along reads it)."""
    out = ""
    for i, t in enumerate(texts):
        if out and (not _END.search(out) or i in headings):
            out += "\n"
        out += t
    return out
