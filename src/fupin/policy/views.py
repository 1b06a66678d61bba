"""Assessment pages (domain.md section 6): why a household cannot exit yet, bulk runs as
background jobs with their results, and the policy packs with a side-by-side comparison."""

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fupin.core.errors import ApplicationError
from fupin.policy import selectors as s
from fupin.policy.explain import exit_explanation
from fupin.policy.models import AssessmentRun
from fupin.policy.packs import builtin_names, get_pack
from fupin.policy.services import household_exit, household_monitoring
from fupin.registry.selectors import access_household
from fupin.web.views import scoped

REASON_LABELS = {  # lazy: shown in the language of the request that renders them
    "INCOME": _("人均纯收入未超过贫困线"), "FOOD": _("未实现不愁吃"), "CLOTHING": _("未实现不愁穿"),
    "EDUCATION": _("义务教育阶段有失学辍学"), "MEDICAL": _("有成员未参加基本医疗保险"), "HOUSING": _("住房不安全"),
    "WATER": _("饮水不安全"), "NO_INCOME_DATA": _("无该年度收入记录"), "NO_MEMBER": _("无在户成员，无法评估"),
    "SPENDING": _("刚性支出过大"), "RISK": _("发生风险事件"),
}


def _year(request, default: int) -> int:
    try:
        return int(request.GET.get("year") or default)
    except ValueError:
        return default


@scoped
def household_exit_panel(request, pk):
    """htmx fragment on the household page: 为什么不能退出 — every criterion with its figure."""
    h = access_household(request.user, pk)
    pack = get_pack()
    years = sorted(pack.poverty_lines, reverse=True)
    incomes = sorted(h.incomes.values_list("year", flat=True), reverse=True)
    default = next((y for y in incomes if y in pack.poverty_lines), years[0])
    year = _year(request, default)
    ctx = {"h": h, "pack": pack, "years": years, "year": year, "stored": s.household_results_by_year(h)}
    try:
        v = household_exit(h, year=year, pack=pack)
        ctx.update({"verdict": v, "rows": exit_explanation(v)})
    except ApplicationError as exc:
        ctx["error"] = exc.message
    if h.status in ("已脱贫", "监测对象") or h.kind == "一般农户":
        try:
            ctx["monitoring"] = household_monitoring(h, day=dt.date.today(), pack=pack)
        except ApplicationError as exc:
            ctx["monitoring_error"] = exc.message
    ctx["labels"] = REASON_LABELS
    return render(request, "policy/_household_exit.html", ctx)


@scoped
def runs(request):
    pack = get_pack()
    runs = list(s.run_list(user=request.user).filter(kind__in=("households", "monitoring"))[:100])
    for r in runs:
        r.wider = s.covers_more_than(request.user, r)  # its totals are not this user's to read
    ctx = {"runs": runs, "pack": pack, "years": sorted(pack.poverty_lines),
           "areas": list(s.assessable_areas(request.user)[:500]), "can_run": s.can_run_assessments(request.user),
           "packs": builtin_names(), "default_year": max(pack.poverty_lines)}
    return render(request, "policy/runs.html", ctx)


@scoped
@require_POST
def run_start(request):
    """Start a bulk run as a background job (the service checks role and scope)."""
    from fupin.policy.services import assessment_job_start

    p = request.POST
    job = assessment_job_start(actor=request.user, kind=p.get("kind", "households"), area=p.get("area", ""),
                               year=p.get("year") or "", date=p.get("date") or "", include_exited=p.get("all") == "1")
    return redirect("policy:job", pk=job.pk)


@scoped
def job(request, pk):
    from fupin.jobs.selectors import access_job

    j = access_job(request.user, pk)
    done = j.status in (j.Status.SUCCEEDED, j.Status.FAILED)
    if done and j.status == j.Status.SUCCEEDED and (j.result or {}).get("run"):
        return redirect("policy:run", pk=j.result["run"])
    return render(request, "policy/job.html", {"job": j, "done": done})


@scoped
def run_detail(request, pk):
    run = s.access_run(request.user, pk)
    passed = {"1": True, "0": False}.get(request.GET.get("passed", ""))
    reason = request.GET.get("reason", "")
    results = s.run_household_results(user=request.user, run=run, passed=passed, reason=reason) \
        if run.kind == AssessmentRun.Kind.HOUSEHOLDS else None
    page = list(results[:200]) if results is not None else []
    flagged = list(s.run_monitoring_results(user=request.user, run=run, category=request.GET.get("category", ""))[:200]) \
        if run.kind == AssessmentRun.Kind.MONITORING else []
    counts = s.scoped_counts(request.user, run)
    by_reason = [(code, n, REASON_LABELS.get(code, code)) for code, n in (counts.get("by_reason") or {}).items()]
    return render(request, "policy/run.html", {"run": run, "counts": counts, "results": page, "by_reason": by_reason,
                                               "partial": s.covers_more_than(request.user, run), "flagged": flagged,
                                               "passed": request.GET.get("passed", ""), "reason": reason,
                                               "labels": REASON_LABELS})


@scoped
def run_csv(request, pk):
    """The run's results in the user's areas as cli.md's CSV; audited with the row count and the
    file's SHA-256 like every export (security.md 14)."""
    import tempfile

    from django.http import FileResponse

    from fupin.policy.services import results_export

    run = s.access_run(request.user, pk)
    if run.kind != AssessmentRun.Kind.HOUSEHOLDS:
        return HttpResponse(status=404)
    fh = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    results_export(actor=request.user, run=run, fh=fh)
    return FileResponse(fh, as_attachment=True, filename=f"assess-{run.year}-{run.area_id}-{run.pk}.csv",
                        content_type="text/csv; charset=utf-8")


@scoped
def packs(request):
    """The packs there are, the one in use, and a comparison of two on the same data."""
    from fupin.policy.models import PolicyPack
    from fupin.policy.pack_services import compare_packs

    names = builtin_names() + sorted(set(PolicyPack.objects.values_list("name", flat=True)) - set(builtin_names()))
    shown = [get_pack(n) for n in names]
    ctx = {"packs": shown, "current": get_pack(), "areas": list(s.assessable_areas(request.user)[:500])}
    a, b = request.GET.get("a"), request.GET.get("b")
    # Comparing reads every household of the area twice: for the offices that set policy only.
    ctx["can_compare"] = s.can_run_assessments(request.user)
    if a and b and request.GET.get("area") and ctx["can_compare"]:
        if a not in names or b not in names:
            ctx["error"] = "未知的政策包 / unknown pack"
        else:
            try:
                ctx["comparison"] = compare_packs(actor=request.user, year=_year(request, 2017), a=get_pack(a),
                                                  b=get_pack(b), area=request.GET["area"])
            except ApplicationError as exc:
                if exc.code == "E_NOT_FOUND":
                    raise
                ctx["error"] = exc.message
    ctx["run_url"] = reverse("policy:runs")
    return render(request, "policy/packs.html", ctx)
