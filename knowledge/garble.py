"""Garbled text: repaired where it can be, refused with the reason where it cannot.

Mirror sites copy policies with pinyin glosses after hard characters
(規(guī)模), which were indexed and shown to users; other copies arrive as
mojibake (UTF-8 read as Latin-1: "æ\x9d\xad") or with runs of "???" where
the characters were lost. Glosses are removed; text that is still broken is
refused, because an answer made of it would be wrong in a way nobody sees.
"""

from __future__ import annotations

import re

# A gloss: tone-marked (or numbered) pinyin in brackets right after a Chinese character.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_GLOSS = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（]\s*[a-z{_TONED}]*[{_TONED}][a-z{_TONED}]*\s*[)）]"
    rf"|(?<=[\u3400-\u9fff])[(（]\s*[a-z]+[1-5]\s*[)）]"
)
# UTF-8 bytes shown as Latin-1/cp1252: a lead byte character followed by continuation characters.
_MOJIBAKE = re.compile(r"[ÃÂÅÆÇÈÉÊËÌÍÎÏÐÑäåæçèé][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ''" "•–—˜™š›œžŸ¡-¿]")
_LOST = re.compile(r"\?{3,}|？{3,}|\ufffd")
MAX_BROKEN_SHARE = 0.02  # more broken characters than this, and the text is refused


class Garbled(ValueError):
    """Text too broken to index; the message says what is wrong (in Chinese and English)."""


def remove_glosses(text: str) -> tuple[str, int]:
    """The text without pinyin glosses, and how many were removed."""
    return _GLOSS.subn("", text)


def repair(text: str) -> str:
    """Glosses removed; raises Garbled when mojibake or lost characters remain."""
    text, _ = remove_glosses(text)
    broken = sum(len(m.group()) for m in _MOJIBAKE.finditer(text)) + sum(len(m.group()) for m in _LOST.finditer(text))
    if broken and broken > MAX_BROKEN_SHARE * max(len(text), 1):
        sample = (_MOJIBAKE.search(text) or _LOST.search(text)).group()
        raise Garbled(
            f"文本有乱码（{broken} 个字符无法识别，如 {sample!r}），请换一个正常编码的版本 / "
            f"the text is garbled ({broken} unreadable characters such as {sample!r}): "
            "use a correctly encoded copy"
        )
    return text
