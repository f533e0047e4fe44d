"""What kind of answer a question wants, and whether a sentence gives one.

A question that asks for a date, an amount, a count or a phone number is
answered only by a sentence that states one next to what it asks about: the
sentence on the park's location does not answer 园区的招商电话是多少, however
many words they share.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import numbering
from .text import HAN_RUN, interrogative, normalize

ASKS = {
    "doc_number": re.compile(r"文号|发文字号|几号文|\bdocument number\b|\bfile number\b"),
    "phone": re.compile(r"电话|热线|联系方式|手机号|号码|\bphone\b|\btelephone\b|\bhotline\b|\bcontact number\b"),
    # A street address, as a visitor or a courier needs it: "west of the airport" does not answer it. The English
    # noun, not the verb (which target does TJ202 address?): after a determiner or a kind of address, or before of.
    "address": re.compile(
        r"地址|门牌|哪条路|哪条街|什么路|\bwhich (road|street)\b|"
        r"\b(?:the|its|their|your|our|an|street|postal|mailing|office|full|exact|e-?mail)\s+address\b|\baddress\s+(?:of|for)\b|"
        r"^\s*address\b"
    ),
    "date": re.compile(
        r"什么时候|啥时候|何时|哪天|哪一天|哪年|哪一年|哪几年|几月|几号|哪个月|日期|\bwhen\b|what (year|date|day)"
    ),
    # An amount of money (or a rate) is a narrower figure than a count: "2 funds" does not answer "how much funding".
    "amount": re.compile(
        r"多少钱|多少资金|多少补贴|多少补助|多少奖励|多少租金|多少费用|金额|价格|费用|税率|租金|房租|月租|年租|租价|单价|"
        r"(?:奖励|补贴|补助|资助|奖补|投资|投入|租金|费)[^，。？?]{0,4}(?:多少|几)(?![个家项条名年天月])|"
        r"\bhow much\b|\bprice\b|\bcost\b|\brate\b|\brent\b"
    ),
    # (多远 / how far is not here: "close to the airport" answers it without a figure.)
    "number": re.compile(
        r"(?<!哪)几|多少|多大|多长|多久|多高|多宽|多重|数量|数目|比例|占比|百分之|百分比|"
        r"\bhow (many|much|long|big|large)\b|\bnumber of\b|\bpercentage\b"
    ),
}
# A year standing alone (by 2027) is how English writes one; in Chinese a year is followed by 年, and
# 2000万元 is no year (万 is a word character, so there is no boundary after 2000).
_DATE = re.compile(
    r"\d{4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|\d{4}-\d{1,2}|\b(?:19|20)\d{2}\b|\b(january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b"
)
STATES = {
    "doc_number": re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*\d{1,4}\s*号"),
    "phone": re.compile(r"(?<!\d)(0\d{2,3}[-‐ ]?\d{7,8}|1[3-9]\d{9}|400[-‐ ]?\d{3}[-‐ ]?\d{4})(?!\d)"),
    # a road and its number (金谷路99号, 丹枫路399号), or a building's (3号楼)
    "address": re.compile(r"[\u4e00-\u9fff]{1,10}(?:路|街|大道|巷|弄)\s*\d+\s*号|\d+\s*号楼|\bno\.\s*\d+\b"),
    "date": _DATE,
    "amount": re.compile(
        r"\d[\d.,]*\s*[亿万千百]?\s*(元|块|美元)|[一二两三四五六七八九十百千]+[亿万]?元|[千百]亿元|"
        r"\d\s*%|百分之|yuan|rmb|\$|\d\s*percent"
    ),
    "number": re.compile(r"\d|[一二两三四五六七八九十百千万亿]+[个家支期条项座栋层名位亿万元倍类大]|千亿|百亿"),
}
KINDS = tuple(ASKS)
# A number the question names: digits, or an ordinal or count in Chinese (第二期, 二期, 三批). The place that
# answers must name it too: 2023年's figure is not 2024年's.
NAMES_A_NUMBER = re.compile(r"\d|第[一二三四五六七八九十]+|[一二三四五六七八九十两]+[期批次届类]")
# A quantity the question states as a condition (投资5亿元的项目, 50名员工): the passage that answers must
# state it too, or it is about another case (the policy for 10亿元以上). Years are NAMES_A_NUMBER's.
NAMED_QUANTITY = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:亿美元|亿元|万元|亿|万|元|平方米|平方公里|公顷|亩|家|个|项|名|人|%|倍)"
)


# A document the question names by its title in 《》 (《关于支持生物医药产业创新发展若干举措》的文号是多少): a passage of
# another document answers for it only by naming it (a plan quoting the policy it carries out).
_TITLED = re.compile(r"《([^《》]{4,})》")
_NO_PUNCT = re.compile(r"[\s\W_]+")


def titles_missing(question: str, title: str, passage: str) -> list[str]:
    """The titles the (normalised) question quotes in 《》 that neither the passage's document title nor
    the passage says, read without punctuation."""
    quoted = _TITLED.findall(question)
    if not quoted:
        return []
    said = _NO_PUNCT.sub("", normalize(f"{title}\n{passage}"))
    return [f"《{q}》" for q in quoted if _NO_PUNCT.sub("", q) not in said]


def quantities_missing(question: str, passage: str) -> list[str]:
    """The quantities the (normalised) question names (5亿元, 30%) that the passage does not state, digits
    for digits."""
    named = _quantities(question)
    text = normalize(passage).replace(" ", "") if named else ""
    return [q for q in named if not re.search(r"(?<![\d.])" + re.escape(q), text)]


def restates_given(question: str, cited: str) -> bool:
    """The cited sentences' only figures are quantities the question states itself: 萧山那次云签约的26个项目里，
    生物医药项目有几个 is not answered by 本次云签约的26个重大项目覆盖生物医药…等领域, which gives back the
    26 the question starts from and says nothing of the part it asks about."""
    named = set(_quantities(question))
    if not named:
        return False
    stated = set(_quantities(normalize(cited)))
    return bool(stated) and stated <= named


def _quantities(text: str) -> list[str]:
    """The quantities a text states (5亿元, 26个), spaces taken out."""
    return [m.group().replace(" ", "") for m in NAMED_QUANTITY.finditer(text)]


# Words that only ask for a kind of answer, removed before the question's topic words are read.
ASKS_FRAME = re.compile(
    r"百分之|百分比|占比|多少钱|金额|日期|号码|\bhow (many|much|long|big|large)\b|\bwhen\b"
)  # the order decides: a question asking for a phone number is not asking for a count


# The unit a question asks its figure in: jieba tags 名 in 多少名 and 天 in 多少天 as measure words
# (q), 亿元 and 几栋 as numerals (m). "几" inside 第几 and 哪几 asks for an ordinal or a list, not a count.
_COUNT_WORDS = ("多少", "几")
_NOT_A_COUNT = re.compile(r"^(第|哪)")
# Units that answer for one another (a question in 天 is answered in 工作日), as families.
_UNIT_FAMILIES = (
    ("天", "日", "工作日", "个工作日"),
    ("亿", "亿元"),
    ("万", "万元"),
    ("平方米", "平米", "㎡", "万平方米"),
    ("年", "周年"),
    ("月", "个月"),
    ("人", "名", "位"),  # people are counted in any of them: 多少名领军人才 is answered by 超过900人
)
_NUMERAL = r"(?:\d[\d.,]*|[一二两三四五六七八九十百千万]+)\s*(?:余|多|近|超过)?\s*"


def measure(tagged: list[tuple[str, str]]) -> str:
    """The measure word after 多少 or fused with 几 (名, 天, 亿元, 栋), or ''. 个 asks for any count."""
    for i, (word, flag) in enumerate(tagged):
        if word in _COUNT_WORDS and i + 1 < len(tagged):
            unit, unit_flag = tagged[i + 1]
            if unit_flag == "q" or (unit_flag == "m" and not _NUMERAL_ONLY.match(unit)):
                return "" if unit == "个" else unit
        elif flag == "m" and word.startswith("几") and len(word) > 1 and not _NOT_A_COUNT.match(word):
            unit = word[1:]
            return "" if unit == "个" else unit
    return ""


_NUMERAL_ONLY = re.compile(r"^[\d.一二两三四五六七八九十百千]+$")


@lru_cache(maxsize=256)
def _family_pattern(unit: str) -> tuple[re.Pattern, bool]:
    """A figure in the unit or one of its family, and whether the family counts years."""
    family = next((f for f in _UNIT_FAMILIES if unit in f), (unit,))
    alternatives = "|".join(map(re.escape, sorted(family, key=len, reverse=True)))
    return re.compile(r"(?<!\d)" + _NUMERAL + "(?:" + alternatives + ")"), "年" in family


# A question for a rate or a share (比例, 费率, 增长了多少, what share) asks its figure in per cent: the
# fund's 50亿元 does not answer 管理费率是多少. Its measure is PERCENT.
PERCENT = "%"
_ASKS_RATE = re.compile(
    r"比例|占比|费率|税率|利率|百分比|百分之几|增长率|增速|增幅|涨幅|增长了?多少|率[是为有]多少|"
    r"\bpercent|\bpercentage\b|\bshare of\b|\brate\b"
)
_STATES_PERCENT = re.compile(r"\d\s*%|百分之|\bper ?cent\b")


def asks_rate(question: str) -> bool:
    return bool(_ASKS_RATE.search(normalize(question)))


def states_measure(unit: str, text: str) -> bool:
    """The text gives a figure in the unit asked for (or one of its family). A four-digit year is
    not a count of years."""
    if unit == PERCENT:
        return bool(_STATES_PERCENT.search(normalize(text)))
    pattern, years = _family_pattern(unit)
    return any(not (years and m.group(0)[:4].isdigit()) for m in pattern.finditer(normalize(text)))


# A question that asks for the members of a set (哪些, 哪几个, 哪两家) is answered by a place that names
# them, one after another. "力争创建两个国家医学中心" counts them and does not answer 是哪两个, and one item
# after a colon (首批入驻企业：21家) or one bullet ending in ； (已集聚各类公共服务平台20余个；) counts them too.
ASKS_LIST = re.compile(
    r"哪些|哪几(?!年)|哪[两二三四五六七八九十]|有什么|包括什么|都有啥|都有谁|都是谁|有哪些人|分别是|"
    r"\bwhich (ones|two|three)\b|\bwhat are the\b"
)
_ITEM_BREAKS = re.compile(r"[；;\n]")
_AFTER_COLON = re.compile(r"[：:](.*)", re.S)
_COMMAS = re.compile(r"[，,]")


def asks_list(question: str) -> bool:
    return bool(ASKS_LIST.search(normalize(question)))


# A question for exactly two (哪两个, which two) is answered by two names joined by a conjunction too:
# 科技创新和制度创新双轮驱动, 监管与服务并重.
ASKS_PAIR = re.compile(r"哪[两二俩]|\bwhich two\b|\bboth\b")
_PAIR = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,}(?:和|与|及|以及|同)[\u4e00-\u9fffA-Za-z]{2,}")


def enumerates(text: str, pair: bool = False) -> bool:
    """The text names two items or more: A、B; clauses set off by ； or new lines; numbered items
    (一是…二是, （一）…（二）, 1. … 2.); or a colon followed by three items or more set off by commas
    (one comma after a colon more often joins two clauses: 建设进度：基础施工阶段，已有企业意向入驻).
    When two are asked for (`pair`), A和B names them as well."""
    if "、" in text or numbering.markers_in(text) >= 2:
        return True
    if pair and _PAIR.search(text):
        return True
    if sum(1 for part in _ITEM_BREAKS.split(text) if part.strip()) >= 2:
        return True
    listed = _AFTER_COLON.search(text)
    return bool(listed) and len(_COMMAS.findall(listed.group(1).strip(" ，,。"))) >= 2


# A question for who did, runs or attended something (谁, 哪位, 哪家, 哪个部门, who, which company) is
# answered by a name: a person (jieba's nr) or an organisation (jieba's nt, or a word that ends as
# organisations' names do: 公司, 管委会, 东部中心, 省政府, 单位). "首批21家新企业同日入驻" says how many
# came, not who, and "GMP标准厂房是示范区的重要产业载体" not which state firm builds it.
ASKS_WHO = re.compile(
    r"谁|哪位|哪家|哪个(?:单位|部门|机构|公司|企业|机关)|(?:单位|部门|机构|公司|企业|机关)(?:是|为)哪|\bwho(m|se)?\b|"
    r"\bwhich (?:company|companies|department|office|agency|organi[sz]ation)\b"
)
_ORGANISATION = re.compile(
    r"(公司|集团|委员会|管委会|办公室|政府|中心|平台|研究院|研究所|大学|学院|医院|银行|协会|联盟|"
    r"局|厅|党委|省委|市委|区委|机构|单位|组织|团体)$"
)


def asks_who(question: str) -> bool:
    return bool(ASKS_WHO.search(normalize(question)))


def names_someone(tagged: list[tuple[str, str]]) -> bool:
    """Some word of the (jieba-tagged) text names a person or an organisation."""
    return any(flag.startswith("nr") or flag == "nt" or _ORGANISATION.search(word) for word, flag in tagged)


# A question about one of several like-named things (橙洲区, 青梧区 and 绿棠区; the park and the 示范区 around
# it; one 期 of several) is not answered by sentences about another of them: the name it asks about is not
# there, and a word of the same form (as long, ending in the same 区 district, 园 park or 期 phase) stands in
# its place.
_NAME_ENDINGS = "区园期"


def like_named(term: str) -> bool:
    """A term of the form several places or phases share (橙洲区, 生物医药园, 第二期); not a question phrase of
    that form (哪个区: the location synonyms' word the question used), which names nothing."""
    return len(term) >= 3 and term[-1] in _NAME_ENDINGS and bool(HAN_RUN.fullmatch(term)) and not interrogative(term)


def stands_in(term: str, words: list[str], question: str) -> list[str]:
    """The words (of the cited sentences) of the same form as the question's `term`, other than it and
    than anything the question says itself."""
    if not like_named(term):
        return []
    return sorted({w for w in words if len(w) == len(term) and w[-1] == term[-1] and w != term and w not in question})


# A question about what is now (目前, 现在, 已经, 截至, 入驻了) is not answered by a plan: a place that only
# says what will be (将, 力争, 到2027年, 目标, 预计) states a target, and "吸引100家以上企业入驻" by 2027 is
# not how many firms have moved in. A place that also reports what is (已, 目前, 截至, 累计) may answer.
ASKS_CURRENT = re.compile(
    r"目前|现在|如今|当前|眼下|已经|已有|截至|至今|现有|了多少|了几|了哪些|了\s*[吗呢]?\s*[?？]?\s*$|"
    r"\b(now|currently|so far|to date|already)\b"
)
STATES_PLAN = re.compile(r"将|力争|争取|到\s*\d{4}\s*年|计划|目标|预计|规划|\b(will|aims?|plans? to|targets?)\b")
STATES_CURRENT = re.compile(r"已|目前|截至|现有|累计|至今|\b(already|so far|to date|as of)\b")


def asks_current(question: str) -> bool:
    return bool(ASKS_CURRENT.search(normalize(question).strip()))


def only_plans(text: str) -> bool:
    """The text says what will be and nothing of what is."""
    return bool(STATES_PLAN.search(text)) and not STATES_CURRENT.search(text)


# A question about the negated case (不需要核查检验的申请) is not answered by a place that speaks only of
# the positive one (需要核查检验的申请, 200 -> 60 个工作日): that figure is the other case's. 有没有 and the
# other A-not-A forms ask yes or no and negate nothing; 未来 and 非常 are words of their own.
_NEGATORS = r"不需要|无需|不需|不用|不必|没有|未(?!来)|非(?!常)"
NEGATED = re.compile(rf"(?<![有是要能需])(?:{_NEGATORS})([\u4e00-\u9fff]{{2}})")


def opposite_case(question: str, text: str) -> str:
    """The negated term of the question (不需要核查 -> 核查) that the text names only without its
    negation; '' when there is none."""
    for match in NEGATED.finditer(normalize(question)):
        term = match.group(1)
        if term in text and not re.search(rf"(?:{_NEGATORS}|不|无){term}", text):
            return term
    return ""


def asked(question: str) -> str:
    """The one answer type the question asks for, or ''."""
    text = normalize(question)
    return next((kind for kind in KINDS if ASKS[kind].search(text)), "")


_DIGITS = re.compile(r"\d+")


def named_numbers(question: str) -> frozenset:
    """The digit runs a question names itself (2025 in 2025年第一次例会是哪天): context, not an answer."""
    return frozenset(_DIGITS.findall(normalize(question)))


def _new(match: re.Match, named: frozenset) -> bool:
    digits = _DIGITS.findall(match.group(0))
    return not digits or not set(digits) <= named


def matches(kind: str, text: str, named: frozenset = frozenset()) -> list[re.Match]:
    """Where the text states the answer type (for a count: not inside a date), leaving out
    figures the question itself names."""
    if kind == "number":
        dates = [m.span() for m in _DATE.finditer(text)]
        found = [m for m in STATES["number"].finditer(text) if not any(a <= m.start() < b for a, b in dates)]
    else:
        found = list(STATES[kind].finditer(text))
    return [m for m in found if _new(m, named)]


def states(kind: str, text: str, named: frozenset = frozenset()) -> bool:
    return bool(matches(kind, text, named))


# A question about a document itself (who issued it, when, its number, until when it holds):
# only such a question may be answered from the document's own record (its "card").
ABOUT_DOCUMENT = re.compile(
    r"文号|发文|印发|发布|出台|颁布|施行|生效|有效期|失效|哪[个两几]?个?(单位|部门|机关)|\bissued?\b|"
    r"\bpublished\b|\bin force\b|\beffective\b|\bvalid\b"
)


def about_document(question: str) -> bool:
    return bool(ABOUT_DOCUMENT.search(normalize(question)))
