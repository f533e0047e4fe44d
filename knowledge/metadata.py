"""Read a Chinese policy's or release's metadata from its own text, to propose to staff.

Uploading asked staff to type title, issuer and dates, and a page without a
date was given a placeholder that every citation then showed. This module
reads what the text states and says where it read it (the evidence span), so
staff confirm rather than type; what the text does not state is left empty
and asked for, never guessed.

Dates are told apart by where they stand:
- 成文日期 (signed): a labelled field, or a date alone on a line under the
  issuer's name (the signature, at the top of a notice or at its end);
- 发布日期 (published): a labelled field; failing that, the signature date
  (a policy is cited by it), or, for a news page with no official document
  inside, its dateline;
- a dateline over a page that carries an official document (a repost, a
  newspaper's copy) dates the page, not the document: it is reported as
  `dateline` and never becomes the document's date;
- 施行日期 (valid_from) and 有效期 (valid_until) from 自…起施行, 有效期…年.

Pure: text in, Proposal out. Traditional characters and full-width forms are
folded first, so values are proposed in simplified characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from .clean import ORG_END as _ORG_END
from .clean import is_org as _is_org
from .garble import remove_glosses
from .numbering import chinese_number
from .readers import DOC_NUMBER
from .scope import Places
from .text import _t2s

FIELDS = ("title", "issuer", "doc_number", "signed", "published", "valid_from", "valid_until", "scope")
LABELS = {
    "title": "标题",
    "issuer": "发文机关",
    "doc_number": "文号",
    "signed": "成文日期",
    "published": "发布日期",
    "valid_from": "施行日期",
    "valid_until": "有效期至",
    "scope": "适用地区",
}
LABELS_EN = {
    "title": "title",
    "issuer": "issuing body",
    "doc_number": "document number",
    "signed": "date signed",
    "published": "date published",
    "valid_from": "in force from",
    "valid_until": "valid until",
    "scope": "place it applies to",
}
TOP_LINES = 30  # where a title, dateline or 文号 stands on a page

_NUM = r"[0-9〇○零一二三四五六七八九十]"
DATE = re.compile(
    rf"({_NUM}{{4}})\s*年\s*({_NUM}{{1,3}})\s*月\s*({_NUM}{{1,3}})\s*日"
    r"|(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"
)
# "| 成文日期： | 2025-10-22 |" or "成文日期：2025年10月22日" on a government site's info table.
_LABELLED = {
    "signed": r"成文日期",
    "published": r"发布日期|发文日期|公开日期|印发日期",
    "doc_number": r"发文字号|文\s*号",
    "issuer": r"发布机构|发文机关|发文单位|发布单位",
    "title": r"标\s*题|文件名称",
    "valid_from": r"施行日期|生效日期|实施日期",
    "valid_until": r"废止日期|失效日期",
}
_VALUE_AFTER = r"\s*[:：]\s*\|?\s*([^|\n]+?)\s*(?:\||\n|$|\s{2,})"
_DATELINE_MARK = re.compile(r"来源|发布时间|时间[:：]|日期[:：]|作者|浏览|点击|字号|编辑")
_SOURCE = re.compile(r"来源[:：]\s*([^\s|，,]+)")
_TITLE_END = re.compile(r"(通知|意见|办法|决定|规定|措施|方案|公告|通告|批复|细则|规划|政策|条例|指南|解读|问答|函)$")
_SENTENCE = re.compile(r"[。！？；!?;，,]")
_NAV = re.compile(r"首页|首頁|位置[:：]|>|›|»|登录|注册|无障碍|English|^[·•\-*]")
_TAG = re.compile(r"^【[^】]{1,12}】")  # a site's column tag before a headline
_IN_FORCE = re.compile(rf"自\s*({DATE.pattern})\s*起(?:施行|实施|执行|生效)")
_IN_FORCE_FROM = re.compile(r"自\s*(印发|发布|公布)之日起(?:施行|实施|执行|生效)")
_VALID_TO = re.compile(rf"有效期(?:至|到|截至)\s*({DATE.pattern})")
_VALID_YEARS = re.compile(rf"有效期(?:为|暂定为|暂定)?\s*({_NUM}{{1,2}}|两)\s*年")


@dataclass
class Found:
    value: str
    evidence: str  # the words of the text it was read from
    how: str = ""  # why this reading (shown to staff)


@dataclass
class Proposal:
    found: dict[str, Found] = field(default_factory=dict)
    dateline: Found | None = None  # a repost's or newspaper's date: the page's, not the document's
    official: bool = False  # the text carries an official document (a 文号 or a signature)

    def value(self, name: str) -> str:
        return self.found[name].value if name in self.found else ""

    def asks(self, category: str = "policy") -> list[str]:
        """What staff must supply because the text does not state it."""
        needed = ["title", "published", "scope"] + (["issuer"] if category == "policy" else [])
        return [name for name in needed if not self.value(name)]

    def as_meta(self) -> dict:
        """The proposal as ingestion metadata (knowledge/documents.py field names); unknown stays ''."""
        return {
            k: self.value(k)
            for k in ("title", "issuer", "doc_number", "published", "valid_from", "valid_until", "scope")
        }


def fold(text: str) -> str:
    """Simplified characters, half-width forms, glosses removed: what the patterns read."""
    import unicodedata

    return remove_glosses(_t2s.convert(unicodedata.normalize("NFKC", text)))[0]


def parse_date(match: re.Match) -> str:
    """ISO date of a DATE match, or '' when it names no real day."""
    y, m, d = [chinese_number(g) for g in match.groups()[:6] if g is not None][:3]
    try:
        return date(y, m, d).isoformat()
    except (TypeError, ValueError):  # TypeError: a part that is no number (None)
        return ""


def _first_date(text: str) -> tuple[str, str]:
    match = DATE.search(text)
    return (parse_date(match), match.group()) if match else ("", "")


def _labelled(text: str) -> dict[str, Found]:
    out = {}
    for name, label in _LABELLED.items():
        match = re.search(rf"(?:^|\|)\s*(?:{label}){_VALUE_AFTER}", text, re.MULTILINE)
        if not match or match.group(1).strip() in ("-", "—", "无"):
            continue
        value = match.group(1).strip()
        if name in ("signed", "published", "valid_from", "valid_until"):
            value = _first_date(value)[0]
        elif name == "doc_number":
            value = re.sub(r"\s+", "", value) if DOC_NUMBER.fullmatch(re.sub(r"\s+", "", value)) else ""
        if value:
            out[name] = Found(value, match.group().strip(" |\n"), "页面信息栏")
    return out


def _signature(lines: list[str]) -> tuple[Found | None, Found | None]:
    """(date signed, issuer) from a date alone on its line right under the issuer's name(s)."""
    for i, line in enumerate(lines):
        match = DATE.fullmatch(line.strip("（）() "))
        if not match or _DATELINE_MARK.search(line):
            continue
        orgs, j = [], i - 1
        while j >= 0 and (not lines[j] or _is_org(lines[j])):
            if lines[j]:
                orgs.insert(0, lines[j])
            j -= 1
        if orgs and parse_date(match):
            names = [n for o in orgs for n in o.split()]
            evidence = "\n".join(orgs + [line])
            return Found(parse_date(match), evidence, "落款日期"), Found("、".join(names), evidence, "落款单位")
    return None, None


def _dateline(lines: list[str]) -> tuple[Found | None, str, int]:
    """The page's own date line near the top (source, time), its 来源, and its line number."""
    for i, line in enumerate(lines[:TOP_LINES]):
        match = DATE.search(line)
        bare = DATE.fullmatch(line.strip("（）() ")) and not (
            i and _is_org(next((x for x in reversed(lines[:i]) if x), ""))
        )
        if match and len(line) <= 100 and (_DATELINE_MARK.search(line) or bare) and not re.search(r"[。！？]", line):
            source = _SOURCE.search(line)
            return Found(parse_date(match), line, "网页日期行"), source.group(1) if source else "", i
    return None, "", -1


def _title(lines: list[str], dateline_at: int, weak: bool = True) -> Found | None:
    """A heading or a 关于…的通知 line; with weak, also the line over the dateline or the first line."""
    for line in lines[:TOP_LINES]:
        if line.startswith("# "):
            return Found(line[2:].strip(), line, "一级标题")
    for line in lines[:TOP_LINES]:
        bare = line.strip("《》 ")
        if (
            6 <= len(bare) <= 80
            and _TITLE_END.search(bare)
            and not _SENTENCE.search(bare)
            and not _NAV.search(bare)
            and "|" not in bare
            and not DATE.search(bare)
        ):
            return Found(bare, line, "文件名称")
    if not weak:
        return None
    if dateline_at > 0:
        above = next((line for line in reversed(lines[:dateline_at]) if line and not DATE.search(line)), "")
        if _headline(above):
            return Found(_TAG.sub("", above.lstrip("# ")).strip(), above, "日期行上方的标题")
    first = next((line for line in lines[:TOP_LINES] if _headline(line)), "")
    return Found(_TAG.sub("", first).strip(), first, "开头的标题行") if first else None


def _headline(line: str) -> bool:
    """A line that reads as a headline: short, no sentence end, not navigation, an issuer, a date or a 文号."""
    bare = _TAG.sub("", line).strip()
    return (
        4 <= len(bare) <= 60
        and not re.search(r"[。！？；;]|[：:]$", bare)
        and not _is_org(bare)
        and not _NAV.search(bare)
        and not DATE.search(bare)
        and not DOC_NUMBER.search(bare)
        and "|" not in bare
    )


def _file_title(stated: str) -> Found | None:
    """A title the file itself states (an HTML <title>), without the site's name after it."""
    bare = re.split(r"\s*[_|｜]\s*|\s+-\s+", fold(stated).strip())[0]
    if 4 <= len(bare) <= 80 and not _is_org(bare) and bare != "about:blank":
        return Found(bare, stated, "文件属性中的标题")
    return None


def _doc_number(lines: list[str]) -> Found | None:
    """A 文号 standing on its own line; one inside a sentence cites another document."""
    for line in lines[: TOP_LINES * 2]:
        compact = re.sub(r"\s+", "", line.strip("（）() "))
        if DOC_NUMBER.fullmatch(compact):
            return Found(compact, line, "文号行")
    return None


def _issuer_from_title(title: str) -> Found | None:
    match = re.match(r"(.{4,40}?)(?:关于|印发|转发)", title)
    if match:
        names = [n for n in re.split(r"[、\s]|等\d+部门|等部门", match.group(1)) if n]
        if names and all(_ORG_END.search(n) for n in names):
            return Found("、".join(names), title, "标题中的发文机关")
    return None


def _validity(text: str, found: dict[str, Found]) -> None:
    if "valid_from" not in found:
        match = _IN_FORCE.search(text)
        if match:
            value = parse_date(DATE.search(match.group(1)))
            if value:
                found["valid_from"] = Found(value, match.group(), "施行日期")
        else:
            match = _IN_FORCE_FROM.search(text)
            base = found.get("signed" if match and match.group(1) == "印发" else "published") if match else None
            if match and base:
                found["valid_from"] = Found(base.value, match.group(), f"自{match.group(1)}之日起施行")
    if "valid_until" not in found:
        match = _VALID_TO.search(text)
        if match:
            value = parse_date(DATE.search(match.group(1)))
            if value:
                found["valid_until"] = Found(value, match.group(), "有效期")
            return
        match = _VALID_YEARS.search(text)
        if match and "valid_from" in found:
            start = date.fromisoformat(found["valid_from"].value)
            years = chinese_number(match.group(1))
            if years is None:
                return
            try:
                end = start.replace(year=start.year + years)
            except ValueError:  # 29 February
                end = start.replace(year=start.year + years, day=28)
            found["valid_until"] = Found((end - timedelta(days=1)).isoformat(), match.group(), f"自施行之日起{years}年")


def _scope(places: Places | None, found: dict[str, Found], text: str) -> Found | None:
    if places is None or not places.by_name:
        return None
    for name in ("issuer", "title"):
        source = found.get(name)
        named = places.mentions(source.value) if source else None
        if named:
            # Another place named outright wins over the park's generic words (园区), then the most specific.
            value = max(named, key=lambda n: (places.foreign(n), len(places.chain(n)), named[n]))
            return Found(value, source.value, f"{LABELS[name]}中的地名")
    mentioned = places.mentions(text[:5000])
    if not mentioned:
        return None  # no place named: asked for, not assumed to be the park
    value = max(mentioned, key=lambda n: (mentioned[n], len(places.chain(n))))
    return Found(value, f"正文提到{value} {mentioned[value]} 次", "正文中最常提到的地方")


def propose(text: str, places: Places | None = None, stated_title: str = "") -> Proposal:
    """What the text states about itself, each value with its evidence; unknown fields are absent.

    stated_title: the title the file's own properties give (an HTML <title>), used when the text
    shows none; a file's creation date is never a document's date, so no date is taken from there."""
    text = fold(text)
    lines = [line.strip() for line in text.splitlines()]
    found = _labelled(text)
    signed, signer = _signature(lines)
    dateline, source, dateline_at = _dateline(lines)
    if signed and "signed" not in found:
        found["signed"] = signed
    if "doc_number" not in found:
        number = _doc_number(lines)
        if number:
            found["doc_number"] = number
    if "title" not in found:
        title = (
            _title(lines, dateline_at, weak=False)
            or (_file_title(stated_title) if stated_title else None)
            or _title(lines, dateline_at)
        )
        if title:
            found["title"] = title
    if signer and "issuer" in found and found["issuer"].value in signer.value.split("、"):
        found["issuer"] = signer  # joint issuers: the signature names them all, the info bar only the first
    if "issuer" not in found:
        issuer = signer or (_issuer_from_title(found["title"].value) if "title" in found else None)
        if issuer:
            found["issuer"] = issuer
    proposal = Proposal(found=found, official=bool(found.get("signed") or found.get("doc_number")))
    if dateline is not None and proposal.official and dateline.value != found.get("signed", Found("", "")).value:
        dateline.how = (
            f"转载页日期（{source}），不是原文日期"
            if source
            else "网页上的日期：可能是发布日期，也可能是转载日期，请核对"
        )
        proposal.dateline = dateline
    if "published" not in found:
        if "signed" in found:
            found["published"] = Found(found["signed"].value, found["signed"].evidence, "以成文日期为发布日期")
        elif dateline is not None and not proposal.official and dateline.value:
            found["published"] = dateline
    _validity(text, found)
    scope = _scope(places, found, text)
    if scope:
        found["scope"] = scope
    return proposal
