"""Resident ID numbers (GB 11643-1999), domain.md section 4.

Birthplace digits are deliberately not checked against a table: codes change and a
stale table rejects real people.
"""

import datetime as dt
import re
from operator import getitem

from fupin.core.text import to_halfwidth

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_FORMAT = re.compile(r"^\d{17}[\dX]$")
# per position, ASCII digit -> digit * weight: the checksum of an ASCII number is then one
# sum(map(...)) in C. Other digits (\d and int() also take e.g. Arabic-Indic ones) go the long way.
_TERMS = tuple({str(d): d * w for d in range(10)} for w in WEIGHTS)
_LAST = frozenset("0123456789X")
_BORN: dict[str, dt.date | None] = {}  # the 8 birth-date digits -> birth_date's answer (bounded)
_BORN_MAX = 65536


def normalize(raw: str | None) -> str:
    """Trim, full-width → half-width, lowercase x → X."""
    if raw is None:
        return ""
    if type(raw) is str and raw.isascii():  # nothing full-width to turn half-width
        s = raw.strip(" \t\r\n")
    else:
        s = to_halfwidth(str(raw)).strip(" \t\r\n\u3000\u00a0")
    if s.endswith(".0") and len(s) == 20:  # an ID typed as a number in Excel
        s = s[:-2]
    return s.replace("x", "X")


def check_char(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        return CHECK[sum(map(getitem, _TERMS, first17)) % 11]
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK[total % 11]


def birth_date(idn: str) -> dt.date | None:
    key = idn[6:14]
    try:
        return _BORN[key]
    except KeyError:
        pass
    try:
        born = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        born = None
    if len(_BORN) >= _BORN_MAX:
        _BORN.clear()
    _BORN[key] = born
    return born


def sex(idn: str) -> str:
    """男 when digit 17 is odd, else 女."""
    return "男" if int(idn[16]) % 2 == 1 else "女"


def validate(idn: str, *, today: dt.date | None = None) -> str | None:
    """Return None when valid, else the error code (E_ID_FORMAT, E_ID_CHECKSUM, E_ID_BIRTHDATE).

    `idn` must already be normalised.
    """
    return check(idn, today=today)[0]


def check(idn: str, *, today: dt.date | None = None) -> tuple[str | None, dt.date | None]:
    """(validate's answer, the birth date when the number is valid else None), for callers that
    need both (the importer, 400,000 numbers) without reading the date twice."""
    if len(idn) == 18 and idn.isascii() and idn[17] in _LAST and idn[:17].isdigit():
        # the usual number, 17 ASCII digits and a digit or X: the same checks, cheaper
        if CHECK[sum(map(getitem, _TERMS, idn)) % 11] != idn[17]:  # map stops after the 17 weights
            return "E_ID_CHECKSUM", None
    else:
        if not _FORMAT.match(idn):
            return "E_ID_FORMAT", None
        if check_char(idn[:17]) != idn[17]:
            return "E_ID_CHECKSUM", None
    born = birth_date(idn)
    if born is None or born > (today or dt.date.today()):
        return "E_ID_BIRTHDATE", None
    return None, born


def make(prefix6: str, born: dt.date, seq3: int) -> str:
    """Build a valid ID (for synthetic data): seq3's parity decides the sex (odd = 男)."""
    first17 = f"{prefix6}{born:%Y%m%d}{seq3:03d}"
    return first17 + check_char(first17)


def mask(idn: str | None) -> str:
    """First 6 + 8 asterisks + last 4: 431027********1234."""
    if not idn:
        return ""
    if len(idn) < 10:
        return "*" * len(idn)
    return idn[:6] + "*" * 8 + idn[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) >= 11:  # mobile: 138****1234
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    if len(phone) <= 4:
        return "*" * len(phone)
    return "*" * (len(phone) - 4) + phone[-4:]  # landline: only the last 4 digits


def mask_account(account: str | None) -> str:
    if not account:
        return ""
    return "*" * (len(account) - 4) + account[-4:]
