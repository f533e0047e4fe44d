"""Checking and tidying what a user types into the lead form.

Staff call these people back, so a lead is only useful if the phone number
can be dialled. People type numbers every way (138 0000 0000, +86-138…,
0571-8xxxxxxx, full-width digits, inside a sentence); this module turns them
into one form or says, in words a user can act on, what is wrong. Plain
Python, no Rasa, so each rule is tested directly.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{9,11}")  # area code (0 + 2-3 digits) and 7-8 digits

# The park's sub-tracks, as the release names them, for the industry buttons.
INDUSTRY_CHOICES = ("创新疗治法及CXO", "高端医疗器械", "合成生物(含高端美妆)")
OTHER_INDUSTRY = "其他"
_INDUSTRY_WORDS = {
    "创新疗治法及CXO": ("cxo", "cro", "cdmo", "cmo", "外包", "创新疗治法", "疗法", "细胞", "基因", "抗体", "adc",
                   "创新药", "新药"),
    "高端医疗器械": ("器械", "医疗设备", "诊断", "耗材", "device"),
    "合成生物(含高端美妆)": ("合成生物", "美妆", "化妆品", "医美", "synthetic", "cosmetic"),
}
SKIP_WORDS = ("跳过", "没有", "无", "暂无", "不需要", "skip", "none", "no")
NO_NEEDS = "未填写"

MAX_COMPANY = 200
MAX_PERSON = 100
MAX_NEEDS = 500


@dataclass(frozen=True)
class Checked:
    value: str | None  # None: not accepted, ask again
    reason: str = ""  # why not, for the user


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def check_phone(text: str) -> Checked:
    """A mainland mobile (1[3-9] + 9 digits) or a landline with area code."""
    folded = _fold(text)
    if not re.search(r"\d", folded):
        return Checked(None, "没有看到号码")
    digits = re.sub(r"\D", "", folded)
    if digits.startswith("86") and len(digits) in (12, 13):
        digits = digits[2:]
        if not digits.startswith("1"):
            digits = "0" + digits  # +86 571 ... drops the trunk 0
    if digits.startswith("1"):
        if len(digits) != 11:
            return Checked(None, f"手机号应为11位，您输入的是{len(digits)}位")
        if not MOBILE.fullmatch(digits):
            return Checked(None, "手机号的第二位应是3到9")
        return Checked(digits)
    if digits.startswith("0"):
        if not LANDLINE.fullmatch(digits):
            return Checked(None, "座机号应为区号加7到8位号码")
        area = 3 if digits[1] in "12" else 4  # 010, 02x are 3 digits; others 4
        return Checked(f"{digits[:area]}-{digits[area:]}")
    return Checked(None, "手机号以1开头，座机号需带以0开头的区号")


def check_company(text: str) -> Checked:
    value = _fold(text)
    if len(value) < 2:
        return Checked(None, "公司名称太短")
    if len(value) > MAX_COMPANY:
        return Checked(None, f"公司名称请不要超过{MAX_COMPANY}个字")
    return Checked(value)


def check_person(text: str) -> Checked:
    value = _fold(text)
    if not value:
        return Checked(None, "请告诉我们怎么称呼您")
    if re.fullmatch(r"[\d\s+\-]+", value):
        return Checked(None, "这里请填联系人姓名，电话稍后再填")
    if len(value) > MAX_PERSON:
        return Checked(None, "姓名太长了")
    return Checked(value)


def industry_choice(text: str) -> str:
    """The sub-track a free-text answer belongs to, else 其他 with the words."""
    value = _fold(text)
    folded = value.lower()
    if value in INDUSTRY_CHOICES:
        return value
    for choice, words in _INDUSTRY_WORDS.items():
        if any(word in folded for word in words):
            return choice
    if not value or value == OTHER_INDUSTRY:
        return OTHER_INDUSTRY
    return f"{OTHER_INDUSTRY}：{value[:80]}"


def check_needs(text: str) -> Checked:
    value = _fold(text)
    if not value or value.lower() in SKIP_WORDS:
        return Checked(NO_NEEDS)
    return Checked(value[:MAX_NEEDS])
