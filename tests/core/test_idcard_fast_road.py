"""idcard's cheaper road for the usual number (17 ASCII digits and a digit or X: a table for the
checksum, remembered birth dates) answers exactly as the general rule below, which is the code
as it stood before that road: on ASCII numbers and on what only the general rule reads
(other scripts' digits, which \\d and int() accept, a trailing newline, which $ lets through)."""

import datetime as dt
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fupin.core import idcard

_FORMAT = re.compile(r"^\d{17}[\dX]$")
TODAY = dt.date(2024, 6, 30)


def general_check_char(first17: str) -> str:
    return idcard.CHECK[sum(int(d) * w for d, w in zip(first17, idcard.WEIGHTS, strict=True)) % 11]


def general_birth_date(idn: str):
    try:
        return dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return None


def general_validate(idn: str, today: dt.date) -> str | None:
    if not _FORMAT.match(idn):
        return "E_ID_FORMAT"
    if general_check_char(idn[:17]) != idn[17]:
        return "E_ID_CHECKSUM"
    born = general_birth_date(idn)
    if born is None or born > today:
        return "E_ID_BIRTHDATE"
    return None


_CHARS = "0123456789X" * 4 + "x٣٤\n Y０"  # mostly ASCII digits; some Arabic-Indic, full-width, odd


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=_CHARS, min_size=16, max_size=20))
@example("43100219750814313X")
@example("43100219750814313X\n")
@example("٤٣١٠٠٢١٩٧٥٠٨١٤٣١٣X")
@example("4310021975081431X3")
def test_validate_and_birth_date_agree_with_the_general_rule(idn):
    assert idcard.validate(idn, today=TODAY) == general_validate(idn, TODAY)
    code = general_validate(idn, TODAY)
    assert idcard.check(idn, today=TODAY) == (code, None if code else general_birth_date(idn))
    assert idcard.birth_date(idn) == general_birth_date(idn)
    assert idcard.birth_date(idn) == general_birth_date(idn)  # now remembered


@given(st.text(alphabet="0123456789٣", min_size=17, max_size=17))
def test_check_char_agrees_with_the_general_rule(first17):
    assert idcard.check_char(first17) == general_check_char(first17)


def test_valid_numbers_with_their_fixed_check_character():
    for born in (dt.date(1949, 12, 31), dt.date(2000, 2, 29), TODAY):
        for seq in range(0, 1000, 37):
            idn = idcard.make("431027", born, seq)
            assert idcard.validate(idn, today=TODAY) is None
            assert general_validate(idn, TODAY) is None


def test_normalize_ascii_and_wider_input_alike():
    assert idcard.normalize(" 43100219750814313x\t") == "43100219750814313X"
    assert idcard.normalize("\u3000４３１００２１９７５０８１４３１３ｘ\u00a0") == "43100219750814313X"
    assert idcard.normalize("431002197508143130.0") == "431002197508143130"
    assert idcard.normalize(431002197508143130) == "431002197508143130"
    assert idcard.normalize(None) == ""
