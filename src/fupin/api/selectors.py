"""Scoped reads the API needs beyond fupin.registry.selectors: areas, jobs, the audit trail.

Every function starts from the user's scope (fupin.accounts.access) and answers NotFound for
anything outside it, never "forbidden" (domain.md section 1, security.md 1).
"""

from django.db.models import Q

from fupin.accounts.access import AREA_READERS, in_scope, scope_q
from fupin.areas.models import Area
from fupin.core.errors import NotFound
from fupin.jobs.selectors import access_job  # noqa: F401  (the API's job reads)

# ---------------------------------------------------------------- areas


def ancestor_codes(user) -> set[str]:
    """Codes of the areas above the user's own (so a village clerk can see the path 省 › 市 › 县 ›
    乡镇 down to their village). Follows the stored parent links, not code prefixes: a city without
    counties breaks the prefix pattern (shared/data/SOURCES.md). Cached on the user for the request."""
    cached = getattr(user, "_fupin_ancestors", None)
    if cached is not None:
        return cached
    codes: set[str] = set()
    if getattr(user, "role", None) in AREA_READERS and user.is_active:
        parents = {a.parent_id for a in user.areas.all() if a.parent_id}
        while parents:
            codes |= parents
            parents = set(Area.objects.filter(code__in=parents, parent__isnull=False)
                          .values_list("parent_id", flat=True)) - codes
    user._fupin_ancestors = codes
    return codes


def visible_q(user) -> Q:
    """An area is visible when it lies inside one of the user's areas or is an ancestor of one."""
    return scope_q(user, "code") | Q(code__in=ancestor_codes(user))


def annotate_scope(user, areas) -> list[Area]:
    """Mark each area with `in_scope`: ancestors outside the scope show only code, name and level."""
    out = list(areas)
    for a in out:
        a.in_scope = in_scope(user, a.code)
    return out


def access_area(user, code: str) -> Area:
    a = Area.objects.filter(visible_q(user)).filter(code=code).first()
    if a is None:
        raise NotFound()
    return annotate_scope(user, [a])[0]


def area_children(user, parent: str | None) -> list[Area]:
    """The visible children of `parent` (404 if `parent` is not visible), or the visible roots."""
    if parent:
        access_area(user, parent)
        qs = Area.objects.filter(parent_id=parent)
    else:
        qs = Area.objects.filter(parent__isnull=True)
    return annotate_scope(user, qs.filter(visible_q(user)).order_by("code"))


# ---------------------------------------------------------------- jobs
