import logging

import pytest

from fupin.core.logging import MaskPIIFilter, mask_text
from fupin.core.text import clean, parse_bool, parse_number, split_list


@pytest.mark.parametrize("raw,expected", [
    (None, ""), ("  ", ""), ("\u3000张三\u3000", "张三"), ("１２３", "123"), (3026.0, "3026"), (12, "12"),
    ("ＡＢＣ", "ABC"),
])
def test_clean(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("1", True), ("0", False), ("√", True), ("×", False),
    ("也许", None),
])
def test_yes_no(raw, expected):
    assert parse_bool(raw) is expected


def test_numbers_with_separators():
    assert parse_number("3,026") == "3026"
    assert parse_number("3026.50") == "3026.50"
    assert parse_number("三千") is None
    assert split_list("因病、因残,缺技术;其他") == ["因病", "因残", "缺技术", "其他"]


def test_log_filter_masks_ids_phones_and_accounts():
    text = "import 11010519491231002X phone 13807351234 account 6230901234567890123 ok"
    masked = mask_text(text)
    assert "11010519491231002X" not in masked and "110105********002X" in masked
    assert "13807351234" not in masked and "138****1234" in masked
    assert "6230901234567890123" not in masked


def test_filter_rewrites_records(caplog):
    logger = logging.getLogger("fupin.test")
    logger.addFilter(MaskPIIFilter())
    with caplog.at_level(logging.WARNING, logger="fupin.test"):
        logger.warning("person %s", "11010519491231002X")
    assert "11010519491231002X" not in caplog.text


def test_excel_float_noise_is_dropped():
    assert clean(3026.1 * 1.1) == "3328.71"
    assert clean(0.1 + 0.2) == "0.3"


def test_control_characters_are_dropped():
    assert clean("张\x00三\x07") == "张三"
