"""The spot-check pages (domain.md 6.3): draw the sample (county and city offices), list it by
township, record findings and survey answers (the inspection team), see the three figures.
Thin views: selectors for reads (404 outside the user's areas), services for writes."""

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.text import parse_bool
from fupin.spotchecks import selectors as s
from fupin.spotchecks import services
from fupin.spotchecks.models import SpotCheck
from fupin.web.views import page_message, scoped


def _year(value, default=None) -> int:
    v = str(value or "").strip()
    if v.isdigit() and len(v) == 4:
        return int(v)
    if default is not None:
        return default
    raise ApplicationError("E_NUMBER", "年度应为四位数字 / year must be 4 digits")


@scoped
def index(request):
    year = _year(request.GET.get("year"), dt.date.today().year - 1)
    counties = list(s.counties_in_scope(request.user))
    spots = {sp.county_id: sp for sp in s.spot_checks(request.user, year)}
    figs = s.figures_by_spot_check([sp.pk for sp in spots.values()])
    rows = [(c, spots.get(c.code), figs.get(spots[c.code].pk) if c.code in spots else None) for c in counties]
    return render(request, "spotchecks/index.html", {"year": year, "rows": rows, "can_draw": s.can_draw(request.user)})


@scoped
@require_POST
def draw(request):
    county, seed, share = (request.POST.get(k, "").strip() for k in ("county", "seed", "share"))
    try:
        year = _year(request.POST.get("year"))
        if not seed.lstrip("-").isdigit():
            raise ApplicationError("E_NUMBER", "随机种子应为整数 / seed must be a whole number")
        services.draw_sample(actor=request.user, county=county, year=year, seed=int(seed), share=share or None)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        messages.error(request, page_message(exc.message))
        return redirect(f"{reverse('spotchecks:index')}?year={request.POST.get('year', '')}")
    return redirect("spotchecks:detail", county=county, year=year)


@scoped
def detail(request, county: str, year: int):
    area = s.access_county(request.user, county)
    spot = SpotCheck.objects.select_related("drawn_by").filter(county=area, year=year).first()
    ctx = {"county": area, "year": year, "spot": spot, "can_draw": s.can_draw(request.user),
           "can_record": s.can_record(request.user)}
    if spot is not None:
        towns = s.township_summary(spot)
        town = request.GET.get("township") or (towns[0]["code"] if towns else "")
        ctx.update(figures=s.figures(spot), towns=towns, town=town,
                   sampled=list(s.sampled_in_township(spot, town)) if town else [],
                   responses=s.survey_responses(spot))
    return render(request, "spotchecks/detail.html", ctx)


@scoped
@require_POST
def record(request, pk: int):
    sampled = s.access_sampled(request.user, pk)
    back = (f"{reverse('spotchecks:detail', args=[sampled.spot_check.county_id, sampled.spot_check.year])}"
            f"?township={sampled.township_id}#h{sampled.pk}")
    finding = parse_bool(request.POST.get("finding", ""))
    if finding is None:
        messages.error(request, page_message("请选择 是 或 否 / choose 是 or 否"))
        return redirect(back)
    services.record_finding(actor=request.user, sampled=sampled, finding=finding, note=request.POST.get("note", ""))
    return redirect(back)


@scoped
@require_POST
def survey(request, county: str, year: int):
    spot = s.access_spot_check(request.user, county, year)
    back = f"{reverse('spotchecks:detail', args=[county, year])}#survey"
    satisfied = parse_bool(request.POST.get("satisfied", ""))
    number = request.POST.get("number", "").strip()
    if satisfied is None or not number:
        messages.error(request, page_message("请填写户编号并选择是否满意 / enter the household number and the answer"))
        return redirect(back)
    try:
        services.record_survey(actor=request.user, spot_check=spot, household=number, satisfied=satisfied,
                               note=request.POST.get("note", ""))
    except NotFound as exc:  # the county is in scope (checked above): the number is not in it
        messages.error(request, page_message(exc.message))
    return redirect(back)
