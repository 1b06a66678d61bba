"""Silent normalisation of cell and form text (exchange-format.md, "Normalisation")."""

import re

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic (full-width) space
_SPACES = " \t\r\n\u3000\u00a0"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_halfwidth(s: str) -> str:
    """Full-width digits, letters and punctuation become half-width."""
    return s.translate(_FULLWIDTH)


def clean(value) -> str:
    """A cell as text: None/whitespace → "", full-width → half-width, trimmed.

    Floats that are whole numbers (Excel's 3026.0) become "3026".
    """
    if type(value) is str:
        # Fast path (the importer calls this for every cell): printable ASCII needs only a trim.
        if value.isascii() and value.isprintable():
            return value.strip(" ")
        if value.isprintable():  # Chinese text, no control characters or odd spaces
            return value.translate(_FULLWIDTH).strip(_SPACES)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return "NaN"
        if value.is_integer():
            return str(int(value))
        # Excel stores 3328.6 as 3328.6000000000004 after arithmetic: keep what the clerk sees.
        return repr(round(value, 6))
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        value = str(value)
    # NUL and other control characters never belong in a cell (PostgreSQL refuses NUL outright).
    value = _CONTROL.sub("", value)
    return to_halfwidth(value).strip(_SPACES)


YES = {"是", "Y", "y", "1", "√", "yes", "Yes", "YES", "true", "True", "TRUE"}
NO = {"否", "N", "n", "0", "×", "no", "No", "NO", "false", "False", "FALSE"}


def parse_bool(s: str) -> bool | None:
    """是/否 (also Y/N, y/n, 1/0, √/×); None if it is none of them."""
    if s in YES:
        return True
    if s in NO:
        return False
    return None


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_number(s: str) -> str | None:
    """A decimal string with thousands separators removed, or None if it is not a number."""
    t = s.replace(",", "").replace(" ", "")
    if not _NUMBER.match(t):
        return None
    return t


def split_list(s: str, seps: str = "、,;") -> list[str]:
    parts = re.split("[" + re.escape(seps) + "]", s)
    return [p.strip() for p in parts if p.strip()]


def digits_only(s: str) -> str:
    return re.sub(r"[\s\-]", "", s)
