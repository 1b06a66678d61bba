"""Pages of the procedures: work list, cases with their timeline and action form, batches with a
summary per case, notices with objections and the printable board notice; and the public notice
pages, readable without login (domain.md section 1, "public").

Views are thin: parse, access through the scoped selectors, call a service, render.
"""

import datetime as dt

from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.procedures import machines as m
from fupin.procedures import selectors as s
from fupin.procedures import services
from fupin.procedures.models import Case, Objection
from fupin.procedures.pdf import stored_pdf
from fupin.registry.selectors import access_household_by_number
from fupin.web.views import page_message, scoped

MAX_BATCH = 500


def _ids(post, name: str = "case") -> list[int]:
    return [int(v) for v in post.getlist(name) if v.isdigit()][:MAX_BATCH]


def _votes(post) -> dict | None:
    raw = {k: post.get(f"votes_{k}", "").strip() for k in services.VOTE_KEYS}
    return raw if any(raw.values()) else None


def _step_rows():
    rows = []
    for name, mach in m.MACHINES.items():
        for (state, action), (nxt, role) in mach.table.items():
            rows.append((mach.label, m.STATE_LABELS[state], m.ACTION_LABELS[action], m.STATE_LABELS[nxt],
                         m.ROLE_LABELS[role], name))
    return rows


@scoped
def work(request):
    """待我处理, overdue notices and open cases by step."""
    user = request.user
    counts = [(m.MACHINES[name].label, m.STATE_LABELS.get(state, state), n)
              for (name, state), n in s.counts_by_step(user=user).items()]
    return render(request, "procedures/work.html", {
        "cases": s.work_list(user=user)[:300], "overdue": s.overdue_notices(user=user)[:50], "counts": counts,
        "role_steps": user.role in services.STAFF,
    })


@scoped
def cases(request):
    f = {k: request.GET.get(k, "").strip() for k in ("kind", "state", "open", "household")}
    if f["household"] and not f["household"].isdigit():
        f["household"] = ""
    return render(request, "procedures/cases.html", {
        "cases": s.case_list(user=request.user, filters=f)[:500], "f": f, "kinds": m.KIND_LABELS.items(),
        "states": sorted(m.STATE_LABELS.items(), key=lambda x: x[1]),
    })


@scoped
@require_http_methods(["GET", "POST"])
def case_new(request):
    """Open a case for a household by its 户编号 (申请 / 拟退出 / 预警纳入 / 调整)."""
    values = {k: (request.POST or request.GET).get(k, "").strip() for k in ("number", "kind", "sub_kind", "year",
                                                                              "opinion")}
    values["year"] = values["year"] or str(timezone.localdate().year)
    error = ""
    if request.method == "POST":
        try:
            h = access_household_by_number(request.user, values["number"])
            if not values["year"].isdigit():
                raise ApplicationError("E_INVALID", "年度无效 / invalid year")
            case = services.case_open(actor=request.user, household=h, kind=values["kind"],
                                      sub_kind=values["sub_kind"], year=int(values["year"]),
                                      opinion=values["opinion"], attachments=request.FILES.getlist("attachment"))
            return redirect("procedures:case", pk=case.pk)
        except NotFound:
            error = page_message("未找到该户编号 / no such household in your areas")
        except PermissionDenied as exc:
            error = page_message(exc.message)
        except ApplicationError as exc:
            error = page_message(exc.message)
    return render(request, "procedures/case_new.html", {
        "v": values, "error": error, "kinds": m.KIND_LABELS.items(), "subs": m.ADJUSTMENT_LABELS.items(),
    }, status=400 if error else 200)


def _case_context(request, case: Case, **extra) -> dict:
    mach = case.machine
    role = case.role_now
    rule = mach.rule(case.state) if role else m.StepRule()
    entry = services._notice_entry(case, rule.notice) if rule.notice else None
    steps = list(case.steps.select_related("actor", "notice").prefetch_related("attachments"))
    return {
        "case": case, "h": case.household, "steps": steps, "rule": rule, "entry": entry,
        "can_act": role is not None and request.user.role == role and request.user.pk != case.last_actor_id,
        "is_maker": role is not None and request.user.role == role and request.user.pk == case.last_actor_id, "role_label": m.ROLE_LABELS.get(role or "", ""),
        "actions": [(a, m.ACTION_LABELS[a]) for a in mach.actions(case.state)],
        "methods": m.ELIMINATION_METHODS, "objections": case.objections.select_related("notice").all(),
        "events": case.household.events.select_related("actor")[:50], **extra,
    }


@scoped
def case_detail(request, pk):
    case = s.access_case(request.user, pk)
    return render(request, "procedures/case.html", _case_context(request, case))


@scoped
@require_POST
def case_act(request, pk):
    case = s.access_case(request.user, pk)
    version = request.POST.get("version", "")
    try:
        if request.POST.get("action") == "notice":
            notice, out = services.notice_create(actor=request.user, cases=[case])
            if notice is None:
                raise ApplicationError(out[0].code or "E_NOTICE_SCOPE", out[0].message)
        else:
            services.case_act(actor=request.user, case=case, action=request.POST.get("action", ""),
                              opinion=request.POST.get("opinion", ""), votes=_votes(request.POST),
                              method=request.POST.get("method", ""),
                              attachments=request.FILES.getlist("attachment"),
                              expected_version=int(version) if version.isdigit() else None)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        case.refresh_from_db()
        ctx = _case_context(request, case, error=page_message(exc.message), error_code=exc.code,
                            posted=request.POST)
        return render(request, "procedures/case.html", ctx, status=409 if exc.code == "E_CONFLICT" else 400)
    return redirect("procedures:case", pk=case.pk)


@scoped
def attachment(request, pk, aid):
    """A stored attachment, only for users who see its case (404 otherwise)."""
    case = s.access_case(request.user, pk)
    a = case.attachments.filter(pk=aid).first()
    if a is None:
        raise NotFound()
    resp = FileResponse(services.attachment_path(a).open("rb"), content_type=a.content_type, as_attachment=True,
                        filename=a.name)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "no-store, private"
    return resp


@scoped
@require_POST
def batch(request):
    """Approve / reject the selected cases, or put them on one notice; a summary line per case."""
    ids = _ids(request.POST)
    action = request.POST.get("action", "")
    notice = None
    if action == "notice":
        notice, outcomes = services.notice_create(actor=request.user, cases=ids)
    elif action in (m.APPROVE, m.REJECT):
        versions = {int(k.removeprefix("v_")): int(v) for k, v in request.POST.items()
                    if k.startswith("v_") and k[2:].isdigit() and v.isdigit()}
        outcomes = services.batch_act(actor=request.user, cases=ids, action=action,
                                      opinion=request.POST.get("opinion", ""), versions=versions)
    else:
        raise NotFound()
    return _summary(request, outcomes, notice=notice)


def _summary(request, outcomes, **extra):
    for o in outcomes:
        o.message = page_message(o.message)
    done = sum(o.done for o in outcomes)
    return render(request, "procedures/summary.html", {"outcomes": outcomes, "done": done,
                                                       "skipped": len(outcomes) - done, **extra})


@scoped
@require_http_methods(["GET", "POST"])
def batch_exits(request):
    """Propose every household of an area that passes the exit assessment for a year."""
    from fupin.areas.models import Area
    from fupin.web.selectors import areas_in_scope

    areas = areas_in_scope(request.user).filter(level__in=[3, 4, 5])[:2000]
    if request.method == "GET":
        return render(request, "procedures/batch_exits.html", {"areas": areas,
                                                               "year": timezone.localdate().year - 1})
    year = request.POST.get("year", "")
    code = request.POST.get("area", "")
    if not year.isdigit() or not Area.objects.filter(code=code).exists():
        return render(request, "procedures/batch_exits.html", {"areas": areas, "year": year,
                                                               "error": page_message("请选择区划和年度 / choose an area and "
                                                                                 "a year")}, status=400)
    from django.db import transaction

    from fupin.jobs.services import job_create
    from fupin.procedures.tasks import propose_exits

    # a county holds thousands of households: a background job, not the request (docs/procedures.md)
    job = job_create(actor=request.user, kind="propose_exits", params={"area": code, "year": int(year)})
    transaction.on_commit(lambda: propose_exits.delay(job.pk))
    return redirect("procedures:exits_job", pk=job.pk)


@scoped
def exits_job(request, pk):
    """The proposing job: its progress, then the summary line per household (the starter only)."""
    from fupin.jobs.selectors import access_job

    job = access_job(request.user, pk)
    if job.status == job.Status.SUCCEEDED:
        r = job.result or {}
        outcomes = r.get("outcomes", [])
        for o in outcomes:
            o["message"] = page_message(o["message"])
        return render(request, "procedures/summary.html", {"outcomes": outcomes, "done": r.get("done", 0),
                                                           "skipped": r.get("skipped", 0), "job": job,
                                                           "truncated": r.get("truncated")})
    failure = page_message(job.error.partition(": ")[2] or job.error) if job.error else ""
    return render(request, "procedures/exits_job.html", {"job": job, "done": job.status == job.Status.FAILED,
                                                         "failure": failure})


@scoped
def notices(request):
    return render(request, "procedures/notices.html", {
        "notices": s.notice_list(user=request.user)[:200], "overdue": s.overdue_notices(user=request.user)[:50],
        "now": timezone.now(),
    })


def _notice_context(request, n, **extra):
    entries = n.entries.select_related("case", "case__household")
    return {"n": n, "entries": entries, "objections": n.objections.prefetch_related("cases").all(),
            "running": n.end > timezone.now(), **extra}


@scoped
def notice_detail(request, pk):
    n = s.access_notice(request.user, pk)
    return render(request, "procedures/notice.html", _notice_context(request, n))


@scoped
@require_POST
def objection_new(request, pk):
    n = s.access_notice(request.user, pk)
    received = request.POST.get("received_at", "")
    try:
        when = None
        if received:
            when = timezone.make_aware(dt.datetime.fromisoformat(received))
        services.objection_record(actor=request.user, notice=n, cases=_ids(request.POST),
                                  content=request.POST.get("content", ""), received_at=when)
    except ValueError:
        return render(request, "procedures/notice.html",
                      _notice_context(request, n, error=page_message("收到时间无效 / invalid time")), status=400)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        return render(request, "procedures/notice.html", _notice_context(request, n, error=page_message(exc.message)),
                      status=400)
    return redirect("procedures:notice", pk=n.pk)


@scoped
@require_POST
def objection_resolve(request, pk):
    obj = Objection.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    n = s.access_notice(request.user, obj.notice_id)
    try:
        services.objection_resolve(actor=request.user, objection=obj, upheld=request.POST.get("upheld") == "1",
                                   resolution=request.POST.get("resolution", ""))
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        return render(request, "procedures/notice.html", _notice_context(request, n, error=page_message(exc.message)),
                      status=400)
    return redirect("procedures:notice", pk=n.pk)


# ---------------------------------------------------------------- public (no login)

def public_list(request):
    """Running notices and those ended within FUPIN_NOTICE_PUBLIC_DAYS; ?all=1 adds older ones of a
    logged-in user's areas (ignored for anonymous readers)."""
    area = request.GET.get("area", "").strip()
    qs = s.public_notices(area=area if area.isdigit() and len(area) == 12 else "", user=request.user,
                          include_old=request.GET.get("all") == "1")
    return render(request, "procedures/public_list.html", {"notices": qs[:200], "area": area, "now": timezone.now()})


def _public_notice(request, pk):
    try:
        return s.public_notice(pk, user=request.user)
    except NotFound as exc:
        raise Http404() from exc


def public_detail(request, pk):
    n = _public_notice(request, pk)
    return render(request, "procedures/public_notice.html", {"n": n, "issuer": n.area.full_name or n.area.name})


def public_pdf(request, pk):
    """The board notice as rendered on its first request, stored under MEDIA_ROOT (pdf.stored_pdf)."""
    n = _public_notice(request, pk)
    path, sha = stored_pdf(n)
    if request.headers.get("If-None-Match") == f'"{sha}"':
        return HttpResponseNotModified()
    resp = FileResponse(path.open("rb"), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="notice-{n.pk}.pdf"'
    resp["ETag"] = f'"{sha}"'
    return resp
