"""Targets and progress page (domain.md section 1: the city sets targets and watches progress)."""

import datetime as dt

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fupin.core.errors import ValidationFailed
from fupin.targets.selectors import target_areas, target_progress
from fupin.targets.services import YEARS, can_set_targets, target_set
from fupin.web.views import page_error_dicts, scoped


def _int(raw: str):
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # reported by the service as not a whole number ≥ 0


@scoped
@require_http_methods(["GET", "POST"])
def progress(request):
    areas = target_areas(request.user)
    data = request.POST if request.method == "POST" else request.GET
    code = data.get("area", "") or (areas[0].code if areas else "")
    year_raw = data.get("year", "")
    year = int(year_raw) if year_raw.isdigit() and YEARS[0] <= int(year_raw) <= YEARS[1] else dt.date.today().year
    errors, status = [], 200
    if request.method == "POST":
        counties = [c for c in data.get("counties", "").replace("，", ",").replace(" ", ",").split(",") if c]
        try:
            target_set(actor=request.user, area=code, year=year, villages=_int(data.get("villages")),
                       people=_int(data.get("people")), counties=counties)
            return redirect(f"{reverse('targets:progress')}?area={code}&year={year}")
        except ValidationFailed as exc:
            errors, status = page_error_dicts(exc.errors), 400
    p = target_progress(user=request.user, area=code, year=year) if code else None
    return render(request, "targets/progress.html", {
        "p": p, "areas": areas, "area": code, "year": year, "years": range(dt.date.today().year + 1, 2013, -1),
        "can_set": can_set_targets(request.user), "errors": errors,
        "form": data if request.method == "POST" else None,
    }, status=status)
