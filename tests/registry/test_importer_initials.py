"""The importer's pinyin initials (remembered word by word for speed) are exactly
core.pinyin.initials — what the registry's search by 拼音首字母 finds."""

import itertools

from fupin.core.pinyin import initials
from fupin.registry import importer
from fupin.registry import seeding as s

TRICKY = [
    "", "单于", "曾国藩", "重庆", "长孙无忌", "乐乐", "朴正", "覃", "解放", "欧阳修", "尉迟恭", "万俟", "李ABC",
    "Zhang San", "张 三", "阿卜杜拉·买买提", "张三丰", "𠮷野家", "〇", "张三3", "呙", "㑇", "银行行长", "朝阳",
    "一" * 40, "王" + "乐" * 35,
]


def _names():
    given = [*s._OLD_GIVEN["男"], *s._OLD_GIVEN["女"]]
    for table in (s._MID_GIVEN, s._YOUNG_GIVEN):
        for first, second in table.values():
            given += [a + b for a, b in itertools.product(first, second)] + list(second)
    return [surname + g for surname in dict.fromkeys(s.SURNAMES) for g in dict.fromkeys(given)]


def test_initials_agree_with_core_for_every_generated_name_and_tricky_ones():
    importer._initials_memo.clear()
    importer._segment_memo.clear()
    names = _names() + TRICKY
    assert len(names) > 10_000
    for name in names + names:  # the second round answers from the memos
        assert importer._initials(name) == initials(name), name
