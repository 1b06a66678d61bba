"""The server-rendered UI (architecture.md: views are thin — parse, access, call a service, render).

Every object is reached through an area-scoped selector; anything outside the user's areas
answers 404, never 403, so that its existence is not revealed (domain.md section 1).
"""

import datetime as dt
import functools
import json
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from fupin.accounts.access import can_read_audit, can_unmask, can_write_registry
from fupin.core import idcard
from fupin.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from fupin.core.logging import mask_text
from fupin.core.selectors import audit_list
from fupin.registry import choices as c
from fupin.registry import services
from fupin.registry.selectors import access_household, household_list
from fupin.registry.validation import HOUSEHOLD_HEADERS
from fupin.web import forms as f
from fupin.web import selectors as s


def scoped(view):
    """Login required; fupin's NotFound becomes Django's 404 and PermissionDenied a 403 page."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            return forbidden(request, exc.message)

    return wrapper


def forbidden(request, message: str = ""):
    return render(request, "web/403.html", {"message": message}, status=403)


def page_message(text: str) -> str:
    """Service messages are "中文 / English": show the half matching the page language."""
    zh, _, en = (text or "").partition(" / ")
    if request_language_is_english():
        return en or zh
    return zh


def request_language_is_english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


def page_error_dicts(errors: list[dict]) -> list[dict]:
    return [{**e, "message": page_message(e.get("message", ""))} for e in errors]


# ---------------------------------------------------------------- home

@scoped
def home(request):
    counts = s.home_counts(request.user)
    return render(request, "web/home.html", {
        "counts": counts,
        "statuses": [(st, counts["by_status"].get(st, 0)) for st in c.Status.values],
        "attributes": [(a, counts["by_attribute"].get(a, 0)) for a in c.Attribute.values],
        "kinds": [(k, counts["by_kind"].get(k, 0)) for k in c.HouseholdKind.values],
    })


# ---------------------------------------------------------------- household list

LIST_FILTERS = ("area", "attribute", "cause", "status", "kind", "year", "q")


@scoped
def households(request):
    filters = {k: request.GET.get(k, "").strip() for k in LIST_FILTERS}
    if filters["year"] and not filters["year"].isdigit():
        filters["year"] = ""
    qs = household_list(user=request.user, filters={k: v for k, v in filters.items() if v})
    page = s.keyset_page(qs.select_related("village"), after=request.GET.get("after", ""),
                         before=request.GET.get("before", ""))
    total, exact = s.capped_count(qs)
    counts = s.present_counts([h.pk for h in page.rows])
    rows = [(h, counts.get(h.pk, 0)) for h in page.rows]
    # An ID number typed into the search box is not echoed back unmasked (security.md 2).
    idn = idcard.normalize(filters["q"])
    searched_id = idcard.mask(idn) if re.fullmatch(r"\d{17}[\dX]", idn) else ""
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "web/_household_rows.html" if partial else "web/households.html"
    return render(request, template, {
        "rows": rows, "page": page, "total": total, "exact": exact, "filters": filters,
        "q_shown": "" if searched_id else filters["q"], "searched_id": searched_id,
        "area_choices": s.area_choices(request.user), "attributes": c.Attribute.values,
        "causes": c.CAUSES, "statuses": c.Status.values, "kinds": c.HouseholdKind.values,
        "years": list(range(dt.date.today().year, 2012, -1)),
        "can_write": can_write_registry(request.user),
        "can_unmask": can_unmask(request.user),
        "export_error": request.GET.get("export_error", ""),
    })


# ---------------------------------------------------------------- household page

def _household_context(request, h, *, show_full=False, unmask_error=""):
    members = list(h.members.all().order_by("id"))
    today = dt.date.today()
    member_rows = [{
        "m": m, "age": s.age_on(m.birth_date, today),
        "id_shown": m.id_number if show_full else idcard.mask(m.id_number),
    } for m in members]
    events = [{"e": e, "message": mask_text(e.message)} for e in h.events.select_related("actor")[:200]]
    return {
        "h": h, "members": member_rows, "incomes": s.income_rows(h, members), "events": events,
        "show_full": show_full, "unmask_error": unmask_error,
        "phone": h.phone if show_full else idcard.mask_phone(h.phone),
        "account": h.bank_account if show_full else idcard.mask_account(h.bank_account),
        "can_write": can_write_registry(request.user), "can_unmask": can_unmask(request.user),
    }


@scoped
def household_detail(request, pk):
    h = access_household(request.user, pk)
    return render(request, "web/household.html", _household_context(request, h))


@scoped
@require_POST
def household_unmask(request, pk):
    """Full numbers for this one response, after the service has checked the permission and the
    reason and written the audit row (security.md 3)."""
    h = access_household(request.user, pk)
    reason = request.POST.get("reason", "")
    try:
        services.unmask(actor=request.user, household=h, reason=reason)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        ctx = _household_context(request, h, unmask_error=page_message(exc.message))
        return render(request, "web/household.html", ctx, status=400)
    response = render(request, "web/household.html", _household_context(request, h, show_full=True))
    # Full numbers must not stay in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store, private"
    return response


# ---------------------------------------------------------------- household create / edit

def _village_choices(user) -> list[tuple[str, str]]:
    villages = s.areas_in_scope(user).filter(level=5)
    return [(a.code, f"{a.full_name or a.name}（{a.code}）") for a in villages[:3000]]


def _render_household_form(request, *, h=None, values, errors=(), loose=(), status=200):
    # 户类型, 脱贫状态 and 脱贫年度 change only through the procedures (registry.services.household_set_status).
    exclude = ("户编号", "户主姓名", "户主证件号码", "户类型", "脱贫状态", "脱贫年度") if h else ()
    sections = f.household_fields(values, village_choices=_village_choices(request.user), exclude=exclude)
    head_fields = [] if h else f.member_fields(values, headers=f.HEAD_FORM_HEADERS, prefix=f.HEAD_PREFIX)
    all_fields = [fd for _, fs in sections for fd in fs] + head_fields
    aliases = {"姓名": "户主姓名", "证件号码": "户主证件号码", "与户主关系": "户主姓名"}
    loose = list(loose) + f.attach_errors(all_fields, page_error_dicts(list(errors)), member_prefix=f.HEAD_PREFIX,
                                          member_aliases=aliases)
    ctx = {"h": h, "sections": sections, "head_fields": head_fields, "loose": loose, "values": values,
           "phone_masked": idcard.mask_phone(h.phone) if h else "",
           "account_masked": idcard.mask_account(h.bank_account) if h else "",
           "head_id_masked": idcard.mask(_head(h).id_number) if h and _head(h) else ""}
    return render(request, "web/household_form.html", ctx, status=status)


def _head(h):
    return h.members.filter(relation="户主", state="在户").first()


@scoped
@require_http_methods(["GET", "POST"])
def household_create(request):
    if not can_write_registry(request.user):
        raise PermissionDenied()
    if request.method == "GET":
        villages = _village_choices(request.user)
        defaults = {"户类型": "建档立卡户", "脱贫状态": "未脱贫", "收入年度": str(dt.date.today().year - 1),
                    "识别年度": str(dt.date.today().year), "行政区划代码": villages[0][0] if len(villages) == 1 else "",
                    **{k: "是" for k in ("不愁吃", "不愁穿", "饮水安全")},
                    **{k: "否" for k in ("已完成危房改造", "易地扶贫搬迁入住")},
                    **{f.HEAD_PREFIX + k: v for k, v in (("送教上门或免学", "否"), ("是否现役军人", "否"),
                                                         ("基本医疗保险", "是"), ("基本养老保险", "否"),
                                                         ("成员状态", "在户"))}}
        return _render_household_form(request, values=defaults)
    row = f.row_from_post(request.POST, HOUSEHOLD_HEADERS)
    head = f.row_from_post(request.POST, f.HEAD_FORM_HEADERS, prefix=f.HEAD_PREFIX)
    head.update({"户编号": row["户编号"], "姓名": row["户主姓名"], "证件号码": row["户主证件号码"], "与户主关系": "户主"})
    try:
        h = services.household_create(actor=request.user, household=row, members=[head])
    except ValidationFailed as exc:
        return _render_household_form(request, values=f.values_from_post(request.POST), errors=exc.errors,
                                      status=400)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        return _render_household_form(request, values=f.values_from_post(request.POST),
                                      loose=[{"column": "", "code": exc.code, "message": page_message(exc.message)}],
                                      status=400)
    return redirect("web:household", pk=h.pk)


@scoped
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    h = access_household(request.user, pk, write=True)
    income = h.incomes.order_by("-year").first()
    if request.method == "GET":
        year = request.GET.get("year", "")
        if year.isdigit():
            income = h.incomes.filter(year=int(year)).first() or income
        return _render_household_form(request, h=h, values={**f.household_row(h, income), "version": h.version})
    row = f.row_from_post(request.POST, HOUSEHOLD_HEADERS)
    head = _head(h)
    # Fields never sent to the browser: the key, the head (changed on the member page) and, when left
    # empty, the phone and account (their boxes show only the masked value).
    row["户编号"] = h.number
    row["户主姓名"] = head.name if head else h.head_name
    row["户主证件号码"] = head.id_number if head else ""
    if not row["联系电话"].strip() and not request.POST.get("clear_phone"):
        row["联系电话"] = h.phone
    if not row["银行账号"].strip() and not request.POST.get("clear_account"):
        row["银行账号"] = h.bank_account
    version = request.POST.get("version", "")
    try:
        services.household_update(actor=request.user, household=h, data=row,
                                  expected_version=int(version) if version.isdigit() else None)
    except ValidationFailed as exc:
        return _render_household_form(request, h=h, values=f.values_from_post(request.POST), errors=exc.errors,
                                      status=400)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        return _render_household_form(request, h=h, values=f.values_from_post(request.POST),
                                      loose=[{"column": "", "code": exc.code, "message": page_message(exc.message)}],
                                      status=409 if exc.code == "E_CONFLICT" else 400)
    return redirect("web:household", pk=h.pk)


# ---------------------------------------------------------------- members

def _render_member_form(request, h, member, values, errors=(), loose=(), status=200):
    fields = f.member_fields(values)
    loose = list(loose) + f.attach_errors(fields, page_error_dicts(list(errors)))
    return render(request, "web/member_form.html", {
        "h": h, "member": member, "fields": fields, "loose": loose,
        "id_masked": idcard.mask(member.id_number) if member else "",
    }, status=status)


@scoped
@require_http_methods(["GET", "POST"])
def member_edit(request, pk, member_pk=None):
    h = access_household(request.user, pk, write=True)
    member = None
    if member_pk is not None:
        member = h.members.filter(pk=member_pk).first()
        if member is None:
            raise NotFound()
    if request.method == "GET":
        values = f.member_row(member) if member else {
            "成员状态": "在户", "送教上门或免学": "否", "是否现役军人": "否", "基本医疗保险": "是", "基本养老保险": "否"}
        return _render_member_form(request, h, member, values)
    row = f.row_from_post(request.POST, f.MEMBER_FORM_HEADERS)
    if member and not row["证件号码"].strip():
        row["证件号码"] = member.id_number  # the box shows only the masked number; empty keeps it
    try:
        services.member_save(actor=request.user, household=h, data=row, member=member)
    except ValidationFailed as exc:
        return _render_member_form(request, h, member, f.values_from_post(request.POST), errors=exc.errors,
                                   status=400)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        return _render_member_form(request, h, member, f.values_from_post(request.POST),
                                   loose=[{"column": "", "code": exc.code, "message": page_message(exc.message)}],
                                   status=400)
    return redirect("web:household", pk=h.pk)


# ---------------------------------------------------------------- import

UPLOAD_NAMES = {"xlsx": "registry.xlsx", "households": "households.csv", "members": "members.csv"}


def _save_upload(upload, path: Path) -> int:
    size = 0
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
            size += len(chunk)
    return size


@scoped
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if not can_write_registry(request.user):
        raise PermissionDenied()
    if request.method == "GET":
        return render(request, "web/import.html", {"background_bytes": settings.IMPORT_BACKGROUND_BYTES})
    files = {k: request.FILES.get(k) for k in UPLOAD_NAMES}
    error = ""
    if files["xlsx"] and (files["households"] or files["members"]):
        error = "请上传一个 .xlsx 工作簿，或两个 CSV 文件，不要同时上传 / upload either one .xlsx or the two CSVs"
    elif files["xlsx"]:
        if not files["xlsx"].name.lower().endswith(".xlsx"):
            error = "工作簿须为 .xlsx 文件 / the workbook must be an .xlsx file"
    elif not (files["households"] and files["members"]):
        error = "请选择 .xlsx 工作簿，或同时选择 户.csv 和 人.csv / choose an .xlsx or both CSV files"
    if error:
        return render(request, "web/import.html", {"error": page_message(error),
                                                   "background_bytes": settings.IMPORT_BACKGROUND_BYTES}, status=400)
    dry_run = bool(request.POST.get("dry_run"))
    # A fresh directory per upload with fixed file names: nothing a user types becomes part of a path.
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    paths, size = {}, 0
    for key, upload in files.items():
        if upload:
            paths[key] = folder / UPLOAD_NAMES[key]
            size += _save_upload(upload, paths[key])
    params = {"dry_run": dry_run, "errors": str(folder / "errors.csv"), **{k: str(p) for k, p in paths.items()},
              "names": {k: files[k].name[:200] for k in paths}}
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_import

    job = job_create(actor=request.user, kind="import", params=params)
    if size > settings.IMPORT_BACKGROUND_BYTES:
        # Queued only once the Job row is committed, so the worker always finds it.
        transaction.on_commit(lambda: run_import.delay(job.pk))
    else:
        # Small files: the same task body, run in this request, so both paths leave the same Job row.
        run_import(job.pk)
    return redirect("web:job", pk=job.pk)


@scoped
@require_POST
def export_start(request):
    """Export the registry of the user's areas (optionally one area and income year) as a background
    job; masked unless full numbers are asked for with a reason by a role allowed to see them."""
    from fupin.jobs.services import job_create
    from fupin.jobs.tasks import run_export

    area = request.POST.get("area", "").strip()
    if area and s.area_in_scope(request.user, area) is None:
        raise NotFound()
    year = request.POST.get("year", "").strip()
    full = bool(request.POST.get("full_ids"))
    reason = request.POST.get("reason", "").strip()
    from fupin.registry.exporter import check_export_allowed

    try:
        check_export_allowed(actor=request.user, full_ids=full, reason=reason)
    except PermissionDenied:
        raise
    except ApplicationError:  # no reason given: back to the form, which says so
        return redirect(f"{reverse('web:households')}?export_error=reason")
    folder = Path(settings.MEDIA_ROOT) / "exports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    params = {"out": str(folder / "registry.xlsx"), "area": area, "year": int(year) if year.isdigit() else None,
              "full_ids": full, "reason": reason}
    job = job_create(actor=request.user, kind="export", params=params)
    transaction.on_commit(lambda: run_export.delay(job.pk))
    return redirect("web:job", pk=job.pk)


@scoped
def job_download(request, pk):
    """The workbook an export job wrote; only its starter gets it (404 for anyone else)."""
    job = _own_job(request, pk)
    path = (job.result or {}).get("file")
    if job.kind != "export" or not path:
        raise NotFound()
    path = Path(path).resolve()
    if Path(settings.MEDIA_ROOT).resolve() not in path.parents or not path.is_file():
        raise NotFound()
    name = f"建档立卡台账-{'完整' if job.result.get('full_ids') else '脱敏'}-{job.pk}.xlsx"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


def _own_job(request, pk):
    from fupin.jobs.selectors import access_job

    return access_job(request.user, pk)


def _result_errors(result: dict, request) -> tuple[list[dict], list[str], list[str]]:
    errors = [dict(e) for e in (result.get("errors") or [])]
    for e in errors:
        e["message"] = mask_text(page_message(str(e.get("message", ""))))
    sheets = sorted({str(e.get("sheet") or "") for e in errors} - {""})
    codes = sorted({str(e.get("code") or "") for e in errors} - {""})
    if request.GET.get("sheet"):
        errors = [e for e in errors if str(e.get("sheet")) == request.GET["sheet"]]
    if request.GET.get("code"):
        errors = [e for e in errors if str(e.get("code")) == request.GET["code"]]
    sort = request.GET.get("sort", "")
    if sort in ("sheet", "row", "column", "code"):
        errors.sort(key=lambda e: (str(e.get(sort) or ""), e.get("row") or 0) if sort != "row"
                    else (str(e.get("sheet") or ""), e.get("row") or 0))
    return errors, sheets, codes


@scoped
def job_detail(request, pk):
    job = _own_job(request, pk)
    if job.kind == "export":
        done = job.status in (job.Status.SUCCEEDED, job.Status.FAILED)
        return render(request, "web/export_job.html", {
            "job": job, "result": job.result or {}, "done": done,
            "failure": mask_text(page_message(job.error.partition(": ")[2] or job.error)) if job.error else ""})
    result = job.result or {}
    errors, sheets, codes = _result_errors(result, request)
    done = job.status in (job.Status.SUCCEEDED, job.Status.FAILED)
    return render(request, "web/job.html", {
        "job": job, "result": result, "errors": errors, "sheets": sheets, "codes": codes, "done": done,
        "reports": ["csv", "xlsx"] if result.get("error_report") else [],
        "failure": mask_text(page_message(job.error.partition(": ")[2] or job.error)) if job.error else "",
        "error_count": result.get("error_count", len(result.get("errors") or [])),
        "names": (job.params or {}).get("names", {}),
    })


@scoped
def job_progress(request, pk):
    job = _own_job(request, pk)
    done = job.status in (job.Status.SUCCEEDED, job.Status.FAILED)
    response = render(request, "web/_job_progress.html", {"job": job, "done": done})
    if done and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # reload once to show the result table
    return response


@scoped
def job_report(request, pk, fmt):
    """The error report the import task wrote (CSV); the XLSX copy is made from it on first request."""
    job = _own_job(request, pk)
    path = (job.result or {}).get("error_report")
    if not path or fmt not in ("csv", "xlsx"):
        raise NotFound()
    path = Path(path).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    if media not in path.parents or not path.is_file():
        raise NotFound()
    if fmt == "xlsx" and path.suffix.lower() != ".xlsx":
        path = _xlsx_copy(path)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"导入错误报告-{job.pk}.{fmt}")


def _xlsx_copy(csv_path: Path) -> Path:
    import csv

    from fupin.registry.importer import write_error_report
    from fupin.registry.validation import RowError

    target = csv_path.with_suffix(".xlsx")
    if not target.exists():
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        errors = [RowError(r[0], int(r[1]) if r[1].isdigit() else None, r[2], r[3], r[4]) for r in rows if len(r) >= 5]
        write_error_report(errors, target)
    return target


# ---------------------------------------------------------------- areas

@scoped
def areas(request):
    roots = s.root_areas(request.user)
    rows = [(a, s.capped_count(household_list(user=request.user, filters={"area": a.code}), cap=10_000_000)[0])
            for a in roots]
    return render(request, "web/areas.html", {"rows": rows})


@scoped
def area_detail(request, code):
    area = s.area_in_scope(request.user, code)
    if area is None:
        raise NotFound()
    crumbs = []
    p = area.parent
    while p is not None:
        crumbs.append((p, s.area_in_scope(request.user, p.code) is not None))
        p = p.parent
    crumbs.reverse()
    return _render_area(request, area, crumbs)


def _render_area(request, area, crumbs, *, form=None, errors=None, status=200):
    from fupin.areas.attributes import pack_checklist

    editable = area.level == 5 and can_write_registry(request.user)
    return render(request, "web/area.html", {
        "area": area, "crumbs": crumbs, "children": s.area_children(request.user, area),
        "total": s.capped_count(household_list(user=request.user, filters={"area": area.code}), cap=10_000_000)[0],
        "attributes": s.village_attributes(area) if area.level == 5 else [],
        "editable": editable, "checklist": pack_checklist(), "form": form or {"年度": str(dt.date.today().year)},
        "errors": errors or [],
    }, status=status)


@scoped
@require_POST
def village_attributes_edit(request, code):
    """Yearly village attributes (domain.md 6.2) from the village page; same rules as the CSV file."""
    from fupin.areas.attributes import pack_checklist, village_attributes_set

    area = s.area_in_scope(request.user, code)
    if area is None or area.level != 5:
        raise NotFound()
    form = {k: request.POST.get(k, "") for k in ["年度", "农业户籍人口", *(c for c, _ in pack_checklist())]}
    year = form["年度"].strip()
    errors = []
    if not (year.isdigit() and len(year) == 4):
        errors = [{"column": "年度", "code": "E_NUMBER", "message": page_message("年度应为四位数字 / year must be 4 digits")}]
    else:
        res = village_attributes_set(actor=request.user, village_code=code, year=int(year),
                                     data={k: v for k, v in form.items() if k != "年度"})
        errors = [{**e.as_dict(), "message": page_message(e.message)} for e in res.errors]
    if errors:
        return _render_area(request, area, [], form=form, errors=errors, status=400)
    return redirect("web:area", code=code)


# ---------------------------------------------------------------- audit

@scoped
def audit(request):
    if not can_read_audit(request.user):
        raise NotFound()  # the page does not exist for other roles
    filters = {k: request.GET.get(k, "").strip() for k in ("action", "object_id", "actor", "date_from", "date_to")}
    for k in ("date_from", "date_to"):
        try:
            dt.date.fromisoformat(filters[k]) if filters[k] else None
        except ValueError:
            filters[k] = ""
    qs = audit_list(request.user, filters)
    before = request.GET.get("before_id", "")
    if before.isdigit():
        qs = qs.filter(id__lt=int(before))
    entries = list(qs[: s.PAGE_SIZE + 1])
    more = len(entries) > s.PAGE_SIZE
    entries = entries[: s.PAGE_SIZE]
    rows = [{"e": e, "before": _masked_json(e.before), "after": _masked_json(e.after),
             "reason": mask_text(e.reason or "")} for e in entries]
    query = {k: v for k, v in filters.items() if v}
    return render(request, "web/audit.html", {
        "rows": rows, "filters": filters, "query": query,
        "next_before": entries[-1].id if more and entries else None,
    })


def _masked_json(value) -> str:
    if value in (None, "", {}):
        return ""
    return mask_text(json.dumps(value, ensure_ascii=False, sort_keys=True))
