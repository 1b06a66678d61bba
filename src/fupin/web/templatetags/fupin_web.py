"""Display helpers for the web templates. Formatting only: no rule is decided here."""

from django import template
from django.utils.translation import gettext as _

from fupin.core import money

register = template.Library()


@register.filter
def yuan(value) -> str:
    """2 decimals with thousands separators (fupin.core.money.fmt); — for no value."""
    return money.fmt(value)


@register.filter
def yn(value) -> str:
    """A boolean as the forms write it: 是 / 否."""
    if value is None or value == "":
        return "—"
    return _("是") if value else _("否")


@register.filter
def dash(value) -> str:
    return "—" if value in (None, "", [], {}) else value


@register.simple_tag
def nav_flags(user) -> dict:
    """Which menu entries a user sees; the pages themselves check again."""
    from fupin.accounts.access import can_read_audit, can_write_registry

    if not getattr(user, "is_authenticated", False):
        return {}
    return {"audit": can_read_audit(user), "import": can_write_registry(user)}


@register.filter
def num(value) -> str:
    """An integer with thousands separators (1,234), whatever the active locale's grouping."""
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def get(mapping, key):
    """{{ form|get:'农业户籍人口' }} — dict lookup by a key that is not an identifier."""
    return (mapping or {}).get(key, "")
