"""Small real files for ingestion tests, made on the fly (no binary fixtures in the repo)."""

from __future__ import annotations

import datetime
from pathlib import Path


def make_pdf(path: Path, lines: list[str], title: str = "", more_pages: list[list[str]] = ()) -> Path:
    """A PDF whose first page has `lines` and each later page the lines given for it; a page
    without lines is like a scan (marks, but no text)."""
    pages = [lines, *more_pages]
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [%s] /Count %d >>"
        % (" ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))), len(pages)),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, page_lines in enumerate(pages):
        content = (
            "BT /F1 12 Tf 72 720 Td 14 TL "
            + " ".join(f"({line.replace('(', '[').replace(')', ']')}) '" for line in page_lines)
            + " ET"
            if page_lines
            else "0.9 g 72 72 468 648 re f"
        )  # a grey box: marks on the page, but no text
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    if title:
        objects.append(f"<< /Title ({title}) /CreationDate (D:20240501120000+08'00') >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def make_docx(
    path: Path, title: str, paragraphs: list[str], table: list[list[str]] | None = None, author: str = ""
) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    document.core_properties.created = datetime.datetime(2024, 5, 1, 9, 0)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    document.save(str(path))
    return path


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title} - 杭州网</title>
<meta property="og:site_name" content="杭州网">
<meta property="og:url" content="https://hwyst.hangzhou.com.cn/xwfb/content/2024-05/01/policy.htm">
<meta name="date" content="2024-05-01"></head>
<body>
<div class="nav"><a href="/">杭州网首页</a> | <a href="/news">新闻</a> | 您所在的位置：首页 &gt; 新闻发布</div>
<article>
<h1>{title}</h1>
{paragraphs}
</article>
<div class="related"><h3>相关阅读</h3><ul><li><a href="/a">另一条新闻标题</a></li><li><a href="/b">第三条新闻</a></li></ul></div>
<footer>版权所有 杭州网 新闻热线 85052222 地址：体育场路218号</footer>
</body></html>"""


def make_html(path: Path, title: str, paragraphs: list[str]) -> Path:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    path.write_text(PAGE.format(title=title, paragraphs=body), "utf-8")
    return path
