"""Village and county exit results (domain.md 6.2, 6.3) in the web UI: the latest run per year,
each reason in words with the figures behind it. Thin views over fupin.policy.selectors_areas."""

import datetime as dt

from django.core.paginator import Paginator
from django.shortcuts import render

from fupin.areas.models import VillageAttributes
from fupin.core.errors import NotFound
from fupin.policy.area_exit import describe_county, describe_village, run_pack
from fupin.policy.models import AssessmentRun
from fupin.policy.selectors_areas import latest_county_results, latest_village_results, result_years
from fupin.web.selectors import area_in_scope
from fupin.web.views import page_message, scoped

PAGE = 200


def _year(request, years: list[int]) -> int:
    y = request.GET.get("year", "")
    if y.isdigit() and len(y) == 4:
        return int(y)
    return years[0] if years else dt.date.today().year - 1


def _packs():
    cache: dict[int, object] = {}

    def of(run: AssessmentRun):
        if run.pk not in cache:
            cache[run.pk] = run_pack(run)
        return cache[run.pk]
    return of


@scoped
def village_results(request):
    years = result_years(request.user, AssessmentRun.Kind.VILLAGES)
    year = _year(request, years)
    code = request.GET.get("area", "").strip()
    area = area_in_scope(request.user, code) if code else None
    if code and area is None:
        raise NotFound()
    failing = request.GET.get("failing") == "1"
    qs = latest_village_results(request.user, year=year, area=area)
    total, passed = qs.count(), qs.filter(passed=True).count()
    if failing:
        qs = qs.filter(passed=False)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    items = dict(VillageAttributes.objects.filter(year=year, village_id__in=[r.village_id for r in page])
                 .values_list("village_id", "items"))
    pack_of = _packs()
    rows = [(r, [(c, page_message(t)) for c, t in describe_village(r, year, pack_of(r.run), items.get(r.village_id, {}))])
            for r in page]
    return render(request, "policy/village_results.html", {
        "years": years, "year": year, "area": area, "code": code, "failing": failing, "page": page, "rows": rows,
        "total": total, "passed": passed})


@scoped
def county_results(request):
    years = result_years(request.user, AssessmentRun.Kind.COUNTIES)
    year = _year(request, years)
    pack_of = _packs()
    rows = [(r, [(c, page_message(t)) for c, t in describe_county(r, pack_of(r.run))])
            for r in latest_county_results(request.user, year=year)]
    return render(request, "policy/county_results.html", {"years": years, "year": year, "rows": rows})
