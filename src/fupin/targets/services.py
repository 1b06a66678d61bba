"""Setting a yearly target (domain.md section 1: the city office sets targets; a county office
sets its own county's). Audited; partial: only the figures given change."""

from __future__ import annotations

from django.db import transaction

from fupin.accounts.access import access_area
from fupin.accounts.models import Role
from fupin.areas.models import Area
from fupin.core import audit
from fupin.core.errors import ErrorCode as E
from fupin.core.errors import PermissionDenied, ValidationFailed
from fupin.targets.models import Target

SETTERS = {Role.CITY, Role.COUNTY, Role.ADMIN}
TARGET_LEVELS = (2, 3)  # city, county
YEARS = (2013, 2035)


def can_set_targets(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in SETTERS)


def area_code(text: str) -> str:
    """A 12-digit area code; the 6-digit form of a city or county (431027) is accepted."""
    s = (text or "").strip()
    return s + "000000" if len(s) == 6 and s.isdigit() else s


def _area(actor, code: str) -> Area:
    return access_area(actor, area_code(code))


@transaction.atomic
def target_set(*, actor, area: str, year: int, villages: int | None = None, people: int | None = None,
               counties: list[str] | None = None) -> Target:
    """Set the target of `area` (a city or county in the actor's areas) for `year`: villages to
    exit, people to exit, counties to exit (codes of counties inside the area). Figures not given
    keep their value; `counties=[]` clears the list."""
    a = _area(actor, area)
    if not can_set_targets(actor):
        raise PermissionDenied("无权设定目标 / not allowed to set targets")
    errors = []
    if a.level not in TARGET_LEVELS:
        errors.append({"field": "area", "code": E.E_INVALID,
                       "message": "目标按市或县设定 / targets are set for a city or a county"})
    if not YEARS[0] <= int(year) <= YEARS[1]:
        errors.append({"field": "year", "code": E.E_NUMBER,
                       "message": f"年度应在 {YEARS[0]}–{YEARS[1]} 之间 / year must be {YEARS[0]}–{YEARS[1]}"})
    for name, value in (("villages", villages), ("people", people)):
        if value is not None and (not isinstance(value, int) or value < 0):
            errors.append({"field": name, "code": E.E_NUMBER,
                           "message": "目标应为非负整数 / a target must be a whole number ≥ 0"})
    codes: list[str] | None = None
    if counties is not None:
        codes = list(dict.fromkeys(area_code(c) for c in counties if c and c.strip()))
        known = set(Area.objects.filter(code__in=codes, level=3).values_list("code", flat=True))
        for c in codes:
            if c not in known or not a.contains(c):
                errors.append({"field": "counties", "code": E.E_UNKNOWN_AREA,
                               "message": f"“{c}”不是{a.name}下辖的县 / {c} is not a county of {a.name}"})
    if villages is None and people is None and counties is None:
        errors.append({"field": "", "code": E.E_REQUIRED,
                       "message": "请至少给出一项目标 / give at least one figure"})
    if errors:
        raise ValidationFailed(errors)
    t = Target.objects.select_for_update().filter(area=a, year=year).first()
    before = None if t is None else {"villages": t.villages, "people": t.people, "counties": t.counties}
    if t is None:
        t = Target(area=a, year=year, set_by=actor)
    if villages is not None:
        t.villages = villages
    if people is not None:
        t.people = people
    if codes is not None:
        t.counties = sorted(codes)
    after = {"villages": t.villages, "people": t.people, "counties": t.counties}
    if before == after:
        return t
    t.set_by = actor
    t.save()
    b, af = audit.diff(before, after)
    audit.record(actor=actor, action="targets.set", object_type="targets.Target", object_id=f"{a.code}/{year}",
                 area_code=a.code, before=b, after=af)
    return t
