"""Assessment API (domain.md section 6): one household's exit verdict with its reasons and the
figures behind them, the bulk runs in the user's areas, and their results (cursor paging)."""

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from fupin.api.pagination import AuditCursorPagination
from fupin.api.views import ERRORS, FupinAPIView, _int_param, _invalid
from fupin.core.errors import ApplicationError
from fupin.policy import rules
from fupin.policy import selectors as ps
from fupin.policy.packs import get_pack
from fupin.policy.services import household_exit
from fupin.registry.selectors import access_household_by_number


class RunPagination(AuditCursorPagination):
    ordering = "-id"


class ResultPagination(AuditCursorPagination):
    ordering = "household_id"


def _run(r, user) -> dict:
    return {"id": r.pk, "kind": r.kind, "year": r.year, "as_of": r.as_of.isoformat(), "area": r.area_id,
            "pack": {"name": r.pack_name, "version": r.pack_version, "sha256": r.pack_sha256},
            "status": r.status, "started_at": r.started_at, "finished_at": r.finished_at,
            "counts": ps.scoped_counts(user, r), "counts_scope": "yours" if ps.covers_more_than(user, r) else "run",
            "actor": r.actor.username}


VERDICT = inline_serializer("ExitVerdict", {
    "household": serializers.CharField(), "year": serializers.IntegerField(), "date": serializers.DateField(),
    "pack": serializers.DictField(), "passed": serializers.BooleanField(),
    "reasons": serializers.ListField(child=serializers.CharField()),
    "per_capita": serializers.CharField(allow_null=True), "line": serializers.CharField(),
    "facts": serializers.DictField(),
})


class HouseholdExitView(FupinAPIView):
    @extend_schema(operation_id="households_exit", summary="退出评估（一超过两不愁三保障）/ exit assessment (6.1)",
                   parameters=[OpenApiParameter("year", int, required=True, description="评估年度 / year"),
                               OpenApiParameter("date", str, description="评估日期 YYYY-MM-DD（默认 12 月 31 日）")],
                   responses={200: VERDICT, **ERRORS})
    def get(self, request, number: str):
        h = access_household_by_number(request.user, number)
        year = _int_param(request, "year")
        if year is None:
            raise _invalid("缺少参数 year / year is required", parameter="year")
        day = None
        if request.query_params.get("date"):
            try:
                day = dt.date.fromisoformat(request.query_params["date"])
            except ValueError:
                raise _invalid("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD", parameter="date") from None
        pack = get_pack()
        v = household_exit(h, year=year, pack=pack, day=day)
        f, m = v.facts, v.facts.members
        pc = rules.per_capita(f)
        return Response({
            "household": h.number, "year": year, "date": v.day.isoformat(),
            "pack": {"name": pack.name, "version": pack.version, "sha256": pack.sha256},
            "passed": v.passed, "reasons": list(v.reasons), "per_capita": None if pc is None else f"{pc:.2f}",
            "line": f"{v.line:.2f}",
            "facts": {"present": m.present, "education_failures": m.edu_fail, "uninsured": m.medical_fail,
                      "with_labour": m.labour, "food_ok": f.food_ok, "clothing_ok": f.clothing_ok,
                      "housing_grade": f.housing_grade, "renovated": f.renovated, "relocated": f.relocated,
                      "safe_water": f.safe_water, "water_is_criterion": pack.water_applies(year),
                      "net_income": None if f.net_fen is None else rules.format_fen(f.net_fen)},
        })


class AssessmentRunListView(FupinAPIView):
    pagination_class = RunPagination

    @extend_schema(operation_id="assessment_runs_list", summary="评估批次 / assessment runs in your areas",
                   parameters=[OpenApiParameter("kind", str, enum=["households", "villages", "counties", "monitoring"]),
                               OpenApiParameter("year", int)],
                   responses={200: inline_serializer("AssessmentRun", {"id": serializers.IntegerField()}, many=True),
                              **ERRORS})
    def get(self, request):
        qs = ps.run_list(user=request.user, kind=request.query_params.get("kind") or None)
        year = _int_param(request, "year")
        if year is not None:
            qs = qs.filter(year=year)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs.order_by("-id"), request, view=self)
        return paginator.get_paginated_response([_run(r, request.user) for r in page])


class AssessmentRunDetailView(FupinAPIView):
    @extend_schema(operation_id="assessment_runs_retrieve", summary="一个评估批次 / one run",
                   responses={200: inline_serializer("AssessmentRunDetail", {"id": serializers.IntegerField()}),
                              **ERRORS})
    def get(self, request, pk: int):
        return Response(_run(ps.access_run(request.user, pk), request.user))


class AssessmentRunResultsView(FupinAPIView):
    pagination_class = ResultPagination

    @extend_schema(operation_id="assessment_runs_results", summary="一个批次的户结果 / a households run's results",
                   parameters=[OpenApiParameter("passed", bool), OpenApiParameter("reason", str,
                                                                                 enum=list(rules.EXIT_CODES))],
                   responses={200: inline_serializer("HouseholdResult", {"household": serializers.CharField()},
                                                     many=True), **ERRORS})
    def get(self, request, pk: int):
        run = ps.access_run(request.user, pk)
        if run.kind != "households":
            raise ApplicationError("E_INVALID", "此批次不是户评估 / not a households run")
        passed = {"true": True, "1": True, "false": False, "0": False}.get(
            request.query_params.get("passed", "").lower())
        qs = ps.run_household_results(user=request.user, run=run, passed=passed,
                                      reason=request.query_params.get("reason", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([
            {"household": r.household.number, "village": r.household.village_id, "year": r.year,
             "per_capita": None if r.per_capita is None else f"{r.per_capita:.2f}", "passed": r.passed,
             "reasons": [x for x in r.reasons.split(";") if x]} for r in page])
