"""Pinyin initials for search by 拼音首字母 (张三丰 → zsf)."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=200_000)
def initials(name: str) -> str:
    if not name:
        return ""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda chars: [ch for ch in chars])
    return "".join(x[:1] for x in letters).lower()[:30]
