"""Who may see and do what: area scope and role permissions (domain.md section 1, security.md 1–3).

A user sees and changes only what lies inside their areas (prefix match on the 12-digit
code); out-of-scope objects answer "not found". Every selector starts from scope_q().
"""

from django.db.models import Q

from fupin.accounts.models import Role, User
from fupin.areas.models import code_range

REGISTRY_WRITERS = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.CITY, Role.ADMIN}
UNMASKERS = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.CITY, Role.ADMIN}
AUDIT_READERS = {Role.AUDITOR, Role.ADMIN}
# Helpers see only the households paired with them (assistance app, not built yet): none for now.
AREA_READERS = {Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE, Role.INSPECTOR, Role.AUDITOR, Role.ADMIN}


def area_ranges(user: User) -> list[tuple[str, str]]:
    """Code ranges [lo, hi] of the user's areas; cached on the user object for the request."""
    cached = getattr(user, "_fupin_ranges", None)
    if cached is not None:
        return cached
    if not user or not user.is_authenticated or not user.is_active:
        ranges = []
    elif user.is_superuser:
        # The operator's command-line identity and Django superusers see the whole registry.
        ranges = [("000000000000", "999999999999")]
    else:
        ranges = [code_range(a.code, a.level) for a in user.areas.all()]
    user._fupin_ranges = ranges
    return ranges


def scope_q(user: User, field: str = "village_id") -> Q:
    """Q restricting `field` (a 12-digit area code) to the user's areas; matches nothing if none."""
    if getattr(user, "role", None) not in AREA_READERS:
        return Q(pk__in=[])
    ranges = area_ranges(user)
    if not ranges:
        return Q(pk__in=[])
    q = Q()
    for lo, hi in ranges:
        q |= Q(**{f"{field}__gte": lo, f"{field}__lte": hi})
    return q


def access_area(user: User, code: str, *, levels=None, what: str = "区划 / area"):
    """The area `code` (of one of `levels`, if given) when it lies inside the user's areas — the
    operator's superuser identity sees them all; NotFound otherwise (domain.md section 1)."""
    from fupin.areas.models import Area
    from fupin.core.errors import NotFound

    qs = Area.objects.filter(code=code)
    if levels is not None:
        qs = qs.filter(level__in=levels)
    area = qs.first()
    if area is None or not (getattr(user, "is_superuser", False) or in_scope(user, area.code)):
        raise NotFound(f"没有{what.split(' / ')[0]} {code} / no such {what.split(' / ')[-1]}: {code}")
    return area


def in_scope(user: User, code: str) -> bool:
    if getattr(user, "role", None) not in AREA_READERS:
        return False
    return any(lo <= code <= hi for lo, hi in area_ranges(user))


def can_write_registry(user: User) -> bool:
    return user.is_authenticated and user.role in REGISTRY_WRITERS


def can_unmask(user: User) -> bool:
    return user.is_authenticated and user.role in UNMASKERS


def can_read_audit(user: User) -> bool:
    return user.is_authenticated and user.role in AUDIT_READERS
