"""A logging filter that masks ID numbers and phone numbers (security.md 2)."""

import logging
import re

_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_ACCOUNT = re.compile(r"(?<!\d)\d{12,21}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(2)[-4:], text)
    text = _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)
    text = _ACCOUNT.sub(lambda m: "*" * 8 + m.group(1), text)
    return text


class MaskPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is not our business here
            return True
        masked = mask_text(msg)
        if masked != msg:
            record.msg, record.args = masked, ()
        return True
