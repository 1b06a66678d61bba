"""Pages of the cross-check lists and of new identification (domain.md 6.4): thin views over
fupin.crosscheck.services/selectors and fupin.policy.identification. ID numbers are shown
masked only; an uploaded file is deleted as soon as it has been read."""

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.errors import ErrorCode as E
from fupin.crosscheck import selectors as s
from fupin.crosscheck.models import ListKind
from fupin.crosscheck.services import check_size, load_list, too_large
from fupin.policy.identification import identification_candidates, identification_check, reason_label
from fupin.policy.packs import get_pack
from fupin.registry.selectors import access_household
from fupin.web.selectors import area_choices, area_in_scope, root_areas
from fupin.web.views import page_message, scoped

MAX_ERRORS_SHOWN = 1000
MAX_ROWS_SHOWN = 500
FORM_OVERHEAD = 64 * 1024   # multipart boundaries and the other fields, on top of the file


def _lists_context(request, **extra) -> dict:
    hits = []
    for area in root_areas(request.user):
        hits += s.registered_on_lists(area, user=request.user)
    return {"current": [(ListKind(k), v) for k, v in s.current_versions().items()],
            "history": s.version_history(), "kinds": ListKind.choices, "can_manage": s.can_manage_lists(request.user),
            "hits": hits[:MAX_ROWS_SHOWN], "hit_households": len({h.household_id for h in hits}),
            "hit_count": len(hits), **extra}


def _refused(request, exc: ApplicationError, kind: str = ""):
    status = 413 if exc.code == E.E_FILE_TOO_LARGE else 400
    return render(request, "crosscheck/lists.html", _lists_context(
        request, error=page_message(exc.message), upload_kind=kind), status=status)


@csrf_exempt  # so that the size is checked before Django parses the body; _load checks the CSRF token
@scoped
@require_http_methods(["GET", "POST"])
def lists(request):
    if not s.can_view_lists(request.user):
        raise PermissionDenied()
    if request.method == "GET":
        return render(request, "crosscheck/lists.html", _lists_context(request))
    if not s.can_manage_lists(request.user):
        raise PermissionDenied("无权导入比对名单 / not allowed to load cross-check lists")
    # Refuse a body clearly over the cap unread: nothing of it is parsed, spooled or written.
    length = request.META.get("CONTENT_LENGTH", "")
    if length.isdigit() and int(length) > settings.LIST_UPLOAD_MAX_BYTES + FORM_OVERHEAD:
        return _refused(request, too_large(int(length), settings.LIST_UPLOAD_MAX_BYTES))
    return _load(request)


@csrf_protect
def _load(request):
    upload, kind = request.FILES.get("file"), request.POST.get("kind", "")
    if upload is None or kind not in ListKind.values:
        return render(request, "crosscheck/lists.html", _lists_context(
            request, error=page_message("请选择名单类型和 CSV 文件 / choose a list kind and a CSV file")), status=400)
    limit, name = settings.LIST_UPLOAD_MAX_BYTES, Path(upload.name).name[:200]
    try:
        check_size(upload.size, limit, name)   # before anything is written
    except ApplicationError as exc:
        return _refused(request, exc, kind)
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    # A temporary file under a fixed name pattern: nothing the user typed becomes part of a path.
    with tempfile.NamedTemporaryFile(dir=media, prefix="crosscheck-", suffix=".csv") as tmp:
        try:
            digest, written = hashlib.sha256(), 0
            for chunk in upload.chunks():   # hashed while it is written, never held whole
                written += len(chunk)
                check_size(written, limit, name)
                digest.update(chunk)
                tmp.write(chunk)
            tmp.flush()
            res = load_list(actor=request.user, kind=kind, path=Path(tmp.name), source_name=upload.name[:200],
                            sha256=digest.hexdigest(), max_bytes=limit)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as exc:
            return _refused(request, exc, kind)
    errors = [{**e.as_dict(), "message": page_message(e.message)} for e in res.errors[:MAX_ERRORS_SHOWN]]
    return render(request, "crosscheck/lists.html", _lists_context(
        request, result=res, errors=errors, error_count=len(res.errors), upload_kind=kind,
        upload_name=upload.name[:200], warnings=[page_message(w) for w in res.warnings]),
        status=400 if res.errors else 200)


@scoped
def entries(request, kind):
    if kind not in ListKind.values:
        raise NotFound()
    rows = s.list_entries(request.user, kind, limit=MAX_ROWS_SHOWN)
    version = s.current_versions()[kind]
    return render(request, "crosscheck/entries.html", {"kind": ListKind(kind), "rows": rows, "version": version,
                                                       "shown": MAX_ROWS_SHOWN})


def _year(request, pack) -> int:
    years = sorted(pack.poverty_lines)
    raw = request.GET.get("year", "")
    if raw.isdigit() and int(raw) in years:
        return int(raw)
    this = dt.date.today().year
    return max((y for y in years if y <= this), default=years[-1])


@scoped
def identification(request):
    """The ordinary households of an area that qualify under 6.4 for a year, computed when the
    user submits the form (?run=1): a plain visit shows the form only, as the computation reads
    every ordinary household of the area."""
    pack = get_pack()
    year = _year(request, pack)
    choices = area_choices(request.user)
    code = request.GET.get("area", "").strip()
    if code and area_in_scope(request.user, code) is None:
        raise NotFound()
    area = code or (choices[0].code if choices else "")
    res = None
    if area and request.GET.get("run") == "1":   # computed only when asked for (the form's 核查 button)
        res = identification_candidates(actor=request.user, year=year, pack=pack, area=area)
    return render(request, "crosscheck/identification.html", {
        "pack": pack, "year": year, "years": sorted(pack.poverty_lines, reverse=True), "line": pack.line(year),
        "area": area, "area_choices": choices, "res": res, "can_view_lists": s.can_view_lists(request.user),
        "candidates": res.candidates[:MAX_ROWS_SHOWN] if res else [], "shown": MAX_ROWS_SHOWN,
        "by_reason": sorted(((reason_label(k), k, n) for k, n in res.by_reason.items()), key=lambda x: -x[2])
        if res else [],
    })


@scoped
def identification_household(request, pk):
    h = access_household(request.user, pk)
    pack = get_pack()
    year = _year(request, pack)
    verdict, error = None, ""
    try:
        verdict = identification_check(h, year=year, pack=pack)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        error = page_message(exc.message)
    return render(request, "crosscheck/identification_household.html", {
        "h": h, "pack": pack, "year": year, "years": sorted(pack.poverty_lines, reverse=True), "v": verdict,
        "error": error, "reasons": [(c, reason_label(c)) for c in verdict.reasons] if verdict else [],
    }, status=400 if error else 200)
