"""Why ingestion refused a file, said in Chinese so that staff know what to do.

The knowledge package gives its reasons in English (they are read in logs and
on the command line); the console is Chinese. Each reason is matched here by
its stable wording, and the original follows in brackets for support. A reason
no row matches still reaches staff in Chinese, with the original.
"""

from __future__ import annotations

import re

FIELD_LABELS = {
    "title": "标题",
    "publisher": "发布单位",
    "published": "发布日期",
    "url": "原文链接",
    "category": "类别",
}
# (marker in the English reason, what staff read). The first match wins: specific before general.
REFUSALS = (
    (
        "zip archive expands too far",
        "文件解压后过大（疑似“压缩炸弹”），已拒绝，未展开。请检查文件来源，或另存为普通的 .docx 后再上传",
    ),
    ("too much text", "文件提取出的文字过多，超过单个文档的上限，请拆分成较小的文件后再上传"),
    ("time limit", "读取文件超时，已停止。文件可能过于复杂或已损坏，请另存或拆分后再上传"),
    (
        "the reader could not run",
        "服务器未能启动读取程序，文件没有被读取（不是文件本身的问题）。请稍后重试；如仍不行，请联系管理员查看服务器日志",
    ),
    ("more memory than the limit", "读取文件所需内存超过上限，已停止。文件可能已损坏或过于复杂，请另存或拆分后再上传"),
    ("YAML aliases", "文件的前置元数据使用了 YAML 别名（*name），上传的文件不允许使用"),
    ("front matter is not valid YAML", "文件的前置元数据（--- 之间）不是有效的 YAML"),
    ("front matter must be key: value", "文件的前置元数据应为“键: 值”的格式"),
    ("must be a date like", "日期格式不对，应为 2024-03-12 这样的格式"),
    ("no front matter", "文件没有前置元数据"),
    ("no text layer", "这个 PDF 没有文字层（可能是扫描件），请先做文字识别（OCR）或上传文字版"),
    ("encrypted with a password", "这个 PDF 有密码保护，请上传未加密的版本"),
    ("cannot read the PDF", "无法读取这个 PDF：文件可能已损坏，或并不是 PDF"),
    ("cannot read the Word file", "无法读取这个 Word 文件：文件可能已损坏，或不是 .docx 格式"),
    ("cannot read the file", "无法读取这个文件：文件可能已损坏，或与扩展名不符"),
    ("the file cannot be read", "无法读取这个文件"),
    ("not UTF-8", "文本文件不是 UTF-8 编码，请另存为 UTF-8 后再上传"),
    ("no article text", "网页中没有找到正文"),
    ("the document has no text", "文档中没有正文"),
    ("no text in the file", "文件中没有文字"),
    ("the file is empty", "文件是空的"),
    ("no such file", "找不到上传的文件，请重新上传"),
    ("not a regular file", "上传的不是普通文件"),
    ("limit is", "文件太大"),
    ("category must be one of", "类别只能是 release、policy 或 faq"),
    ("unsupported file type", "不支持这种文件类型"),
)


def _labels(detail: str) -> str:
    return "、".join(label for key, label in FIELD_LABELS.items() if re.search(rf"\b{key}\b", detail))


def refusal_message(detail: str) -> str:
    """Ingestion's reason for refusing a file, in the console's language; the original follows for support."""
    if detail.startswith("cannot cite it"):
        missing = _labels(detail.split("(")[0])
        return f"无法注明出处，文件中没有{missing or '引用信息'}，请在表单中填写后再上传。"
    lacks = re.search(r"front matter lacks ([\w, ]+)", detail)
    if lacks:
        return f"文件的前置元数据缺少{_labels(lacks.group(1)) or '必填项'}，请在文件中补上，或在表单中填写后再上传。"
    for marker, message in REFUSALS:
        if marker in detail:
            return f"{message}。（{detail}）"
    return f"文件无法使用。（{detail}）"
