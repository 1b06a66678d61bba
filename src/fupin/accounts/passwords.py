import re

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """At least three of: lowercase, uppercase, digits, symbols (security.md 7)."""

    def validate(self, password, user=None):
        classes = sum(
            bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^a-zA-Z\d]")
        )
        if classes < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类 / "
                "password needs three of: lowercase, uppercase, digits, symbols",
                code="password_classes",
            )

    def get_help_text(self):
        return "至少包含大写字母、小写字母、数字、符号中的三类 / three character classes"
