"""Checking and tidying what a user types into the lead form.

Staff call these people back, so a lead is only useful if the phone number
can be dialled. People type numbers every way (138 0000 0000, +86-138…,
0571-8xxxxxxx, full-width digits, inside a sentence); this module turns them
into one form or says, in words a user can act on, what is wrong. Plain
Python, no Rasa, so each rule is tested directly.

The other fields are checked for their shape too (a company name looks like
one, a person's name like one), because a message that is not an answer must
never end up in a lead. Every reason is given in Chinese and English.
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
    "创新疗治法及CXO": (
        "cxo",
        "cro",
        "cdmo",
        "cmo",
        "外包",
        "创新疗治法",
        "疗法",
        "细胞",
        "基因",
        "抗体",
        "adc",
        "创新药",
        "新药",
    ),
    "高端医疗器械": ("器械", "医疗设备", "诊断", "耗材", "device"),
    "合成生物(含高端美妆)": ("合成生物", "美妆", "化妆品", "医美", "synthetic", "cosmetic"),
}
SKIP_WORDS = ("跳过", "没有", "无", "暂无", "不需要", "skip", "none", "no")
NO_NEEDS = "未填写"

MAX_COMPANY = 200
MAX_PERSON = 100
MAX_NEEDS = 500


# The sub-tracks in English, for English-speaking tenants (park names keep their Chinese).
INDUSTRY_EN = {
    "创新疗治法及CXO": "innovative therapies and CXO",
    "高端医疗器械": "high-end medical devices",
    "合成生物(含高端美妆)": "synthetic biology (incl. high-end cosmetics)",
    OTHER_INDUSTRY: "other",
}
# Words that answer no question of the form (好的 typed where a name was asked).
NON_ANSWERS = frozenset(
    {
        "好",
        "好的",
        "好吧",
        "嗯",
        "嗯嗯",
        "是",
        "是的",
        "对",
        "对的",
        "行",
        "可以",
        "不知道",
        "随便",
        "你好",
        "您好",
        "在吗",
        "ok",
        "okay",
        "yes",
        "no",
        "hi",
        "hello",
        "sure",
        "thanks",
    }
)
# A company's legal or usual name ends like one of these.
_ORG_SUFFIX = re.compile(
    r"(公司|集团|研究院|研究所|研究中心|医院|大学|学院|实验室|工作室|事务所|中心|工厂|药厂|厂|"
    r"合作社|基金会|协会|有限合伙|\b(ltd|limited|inc|corp|corporation|co|llc|gmbh|plc|"
    r"group|company|pharma|pharmaceuticals?|biotech|therapeutics|biosciences?|labs?)\.?)$",
    re.IGNORECASE,
)
# People do not call their company "I" or "you"; a message that does is a sentence.
_PRONOUN = re.compile(r"[我你您咱]|\b(i|you|we|my|our)\b", re.IGNORECASE)
_SENTENCE_PUNCT = re.compile(r"[，。！？；,!?;：:]")
# How people give their name: 我是周经理, 叫我小王就行, 免贵姓钱, 我姓赵，叫赵磊.
_NAME_PREFIX = re.compile(
    r"^(我是|我叫|叫我|本人|免贵姓|我姓|姓|my name is|i am|i'm|this is|call me)\s*", re.IGNORECASE
)
_NAME_SUFFIX = re.compile(r"(就行|就好|就可以|即可)$")
_TITLE = r"(先生|女士|小姐|经理|总监|总|主任|博士|教授|老师|工|律师|医生|董事长|院长|主管)"
CHINESE_NAME = re.compile(rf"[\u4e00-\u9fff]{{1,4}}{_TITLE}?|[小老][\u4e00-\u9fff]")
LATIN_NAME = re.compile(r"(mr|mrs|ms|dr)?\.?\s*[a-z][a-z'\-]*(\s+[a-z][a-z'\-.]*){0,3}", re.IGNORECASE)
# Certainly a name, whatever the classifier says: a surname and a title. Not 工
# (吴工 is a name, 转人工 is not), so a bare 工 is left to the classifier.
TITLED_NAME = re.compile(
    r"[\u4e00-\u9fff]{1,3}(先生|女士|小姐|经理|总监|总|主任|博士|教授|老师|律师|医生|董事长|院长|主管)|"
    r"(mr|mrs|ms|dr)\.?\s+[a-z].*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Checked:
    value: str | None  # None: not accepted, ask again
    reason: str = ""  # why not, for the user
    reason_en: str = ""  # the same in English

    def says(self, language: str | None) -> str:
        return self.reason_en if language == "en" and self.reason_en else self.reason


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def check_phone(text: str) -> Checked:
    """A mainland mobile (1[3-9] + 9 digits) or a landline with area code."""
    folded = _fold(text)
    if not re.search(r"\d", folded):
        return Checked(None, "没有看到号码", "I could not see a number")
    digits = re.sub(r"\D", "", folded)
    if digits.startswith("86") and len(digits) in (12, 13):
        digits = digits[2:]
        if not digits.startswith("1"):
            digits = "0" + digits  # +86 571 ... drops the trunk 0
    if digits.startswith("1"):
        if len(digits) != 11:
            return Checked(
                None,
                f"手机号应为11位，您输入的是{len(digits)}位",
                f"a mobile number has 11 digits, this one has {len(digits)}",
            )
        if not MOBILE.fullmatch(digits):
            return Checked(None, "手机号的第二位应是3到9", "the second digit of a mobile number is 3 to 9")
        return Checked(digits)
    if digits.startswith("0"):
        if not LANDLINE.fullmatch(digits):
            return Checked(None, "座机号应为区号加7到8位号码", "a landline is the area code and 7 to 8 digits")
        area = 3 if digits[1] in "12" else 4  # 010, 02x are 3 digits; others 4
        return Checked(f"{digits[:area]}-{digits[area:]}")
    return Checked(
        None,
        "手机号以1开头，座机号需带以0开头的区号",
        "a mobile number starts with 1, a landline needs its area code starting with 0",
    )


def is_non_answer(text: str) -> bool:
    return _fold(text).lower().strip("。.!！~") in NON_ANSWERS


def looks_like_company(text: str) -> bool:
    """A name with a company's ending (…有限公司, … Ltd): certainly an answer."""
    value = _fold(text)
    return bool(_ORG_SUFFIX.search(value)) and not _PRONOUN.search(value) and len(value) <= MAX_COMPANY


def check_company(text: str) -> Checked:
    value = _fold(text)
    if len(value) < 2 or is_non_answer(value) or not re.search(r"[A-Za-z\u4e00-\u9fff]", value):
        return Checked(
            None,
            "请填写贵公司的名称，例如“杭州某某生物科技有限公司”",
            'Please give your company\'s name, e.g. "Hangzhou Example Biotech Co., Ltd."',
        )
    if len(value) > MAX_COMPANY:
        return Checked(
            None,
            f"公司名称请不要超过{MAX_COMPANY}个字",
            f"Please keep the company name under {MAX_COMPANY} characters.",
        )
    if not looks_like_company(value) and (_PRONOUN.search(value) or _SENTENCE_PUNCT.search(value)):
        return Checked(
            None,
            "这看起来不像公司名称，请只填写公司名称",
            "That does not look like a company name; please give just the name.",
        )
    return Checked(value)


def person_name(text: str) -> str:
    """The name in how someone gave it: 我姓赵，叫赵磊 -> 赵磊, 叫我小王就行 -> 小王."""
    value = _fold(text)
    value = re.split(r"[，,、；;]", value)[-1].strip() or value
    value = _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", value)).strip()
    return re.sub(r"^叫", "", value).strip()


def looks_like_titled_name(text: str) -> bool:
    """周经理, 王先生, Dr. Smith: a name with a title is certainly an answer."""
    return bool(TITLED_NAME.fullmatch(person_name(text)))


def check_person(text: str) -> Checked:
    value = person_name(text)
    if not value or is_non_answer(value):
        return Checked(None, "请告诉我们怎么称呼您，例如“王先生”", 'Please tell us how to address you, e.g. "Mr Wang".')
    if re.search(r"\d", value):
        return Checked(
            None,
            "这里请填联系人姓名，电话稍后再填",
            "Please give the contact person's name here; the phone number comes next.",
        )
    if len(value) > MAX_PERSON:
        return Checked(None, "姓名太长了", "That name is too long.")
    if not (CHINESE_NAME.fullmatch(value) or LATIN_NAME.fullmatch(value)) or _ORG_SUFFIX.search(value):
        return Checked(
            None,
            "这看起来不像姓名，请填写联系人的姓名或称呼，例如“王先生”",
            'That does not look like a name; please give the contact person\'s name, e.g. "Mr Wang".',
        )
    return Checked(value)


def industry_guess(company: str) -> str | None:
    """The sub-track a company's name suggests (…医疗器械有限公司), to be confirmed, never assumed."""
    choice = industry_choice(company)
    return choice if choice in INDUSTRY_CHOICES else None


def check_industry(text: str) -> Checked:
    if is_non_answer(text):
        return Checked(
            None,
            "请点选产业方向，或简单说明贵公司的业务",
            "Please tap an industry, or describe your company's business in a few words.",
        )
    return Checked(industry_choice(text))


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
    if is_non_answer(value):
        return Checked(
            None, "请简单说明您的需求，或点“跳过”", 'Please describe what you need in a few words, or tap "Skip".'
        )
    return Checked(value[:MAX_NEEDS])


def shown(value: str | None, language: str | None) -> str:
    """A stored industry or needs value as the read-back shows it."""
    value = value or ""
    if language != "en":
        return value
    if value == NO_NEEDS:
        return "not given"
    if value in INDUSTRY_EN:
        return f"{INDUSTRY_EN[value]} ({value})"
    if value.startswith(f"{OTHER_INDUSTRY}："):
        return f"other: {value.split('：', 1)[1]}"
    return value
