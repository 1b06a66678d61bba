import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from fupin.core import idcard

# A published GB 11643 example: 11010519491231002X (check character X).
KNOWN_VALID = "11010519491231002X"


def test_known_number_is_valid():
    assert idcard.validate(KNOWN_VALID) is None
    assert idcard.sex(KNOWN_VALID) == "女"
    assert idcard.birth_date(KNOWN_VALID) == dt.date(1949, 12, 31)


def test_normalisation_fullwidth_lowercase_and_spaces():
    assert idcard.normalize("　１１０１０５１９４９１２３１００２ｘ ") == KNOWN_VALID
    assert idcard.normalize("11010519491231002x") == KNOWN_VALID


def test_error_codes():
    assert idcard.validate("1101051949123100") == "E_ID_FORMAT"
    assert idcard.validate("11010519491231002Y") == "E_ID_FORMAT"
    assert idcard.validate("110105194912310021") == "E_ID_CHECKSUM"
    bad_date = "110105" + "19490231" + "002"
    assert idcard.validate(bad_date + idcard.check_char(bad_date)) == "E_ID_BIRTHDATE"
    future = "110105" + "20990101" + "002"
    assert idcard.validate(future + idcard.check_char(future)) == "E_ID_BIRTHDATE"


def test_birth_today_is_valid_tomorrow_is_not():
    today = dt.date(2017, 6, 30)
    assert idcard.validate(idcard.make("431027", today, 11), today=today) is None
    assert idcard.validate(idcard.make("431027", today + dt.timedelta(days=1), 11), today=today) == "E_ID_BIRTHDATE"


def test_birthplace_is_not_checked_against_a_table():
    # 999999 is no real county; the number must still be accepted (domain.md section 4).
    assert idcard.validate(idcard.make("999999", dt.date(1980, 1, 1), 1)) is None


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999))
def test_made_numbers_are_valid_and_agree(born, seq):
    idn = idcard.make("431027", born, seq)
    assert idcard.validate(idn) is None
    assert idcard.birth_date(idn) == born
    assert idcard.sex(idn) == ("男" if seq % 2 else "女")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999),
       st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_breaks_the_check(born, seq, pos, delta):
    idn = idcard.make("431027", born, seq)
    changed = idn[:pos] + str((int(idn[pos]) + delta) % 10) + idn[pos + 1:]
    assert idcard.validate(changed) in ("E_ID_CHECKSUM", "E_ID_BIRTHDATE")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999))
def test_mask_keeps_first_6_and_last_4(born, seq):
    idn = idcard.make("431027", born, seq)
    masked = idcard.mask(idn)
    assert masked == idn[:6] + "********" + idn[-4:]
    assert not re.search(r"\d{17}[\dX]", masked)


def test_phone_and_account_masks_hide_the_middle():
    assert idcard.mask_phone("13807351234") == "138****1234"
    assert idcard.mask_phone("07358881234") == "073****1234"
    assert idcard.mask_phone("8881234") == "***1234"
    assert idcard.mask_phone("28881234") == "****1234"
    assert idcard.mask_account("6230901234567890123") == "*" * 15 + "0123"
