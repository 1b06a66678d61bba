"""Writes of the spot check (domain.md 6.3), each with the acting user and an audit row.

draw_sample: the county or city office draws the sample (fupin.spotchecks.sampling says how).
record_finding / record_survey / import_results: the third-party team (inspector role) records
what it found. Outside the actor's areas the county does not exist (NotFound).
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from fupin.areas.models import Area, code_range
from fupin.core import audit
from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.errors import ErrorCode as E
from fupin.core.models import AuditEntry
from fupin.core.text import clean, parse_bool
from fupin.registry.choices import HouseholdKind, Status
from fupin.registry.models import Household
from fupin.registry.validation import RowError
from fupin.spotchecks.models import SampledHousehold, SpotCheck, SurveyResponse
from fupin.spotchecks.sampling import stratified_sample
from fupin.spotchecks.selectors import EXITED, ORDINARY, access_county, can_draw, can_record

OBJECT = "spotchecks.SpotCheck"


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise PermissionDenied(f"无权{what} / not allowed to {'draw the sample' if what == '抽样' else 'record results'}")


EXITED_STATUSES = (Status.EXITED.value, Status.MONITORED.value)  # exits of the year, also those now monitored


def _township_of(villages: dict[str, str | None], village: str) -> str:
    return villages.get(village) or village[:9] + "000"


def draw_sample(*, actor, county, year: int, seed: int, share: Decimal | int | str | None = None) -> SpotCheck:
    """Draw (or re-draw) the county's sample for `year` (domain.md 6.3).

    The exited part: registered households with 脱贫年度 = year and status 已脱贫 or 监测对象 (it
    exited in `year` and was taken under monitoring since: still an exit of that year). A 返贫
    household has lost its 脱贫年度 in the procedures and is not drawn. The ordinary
    part: the county's 一般农户, at the same share; both stratified by township. `share`
    defaults to the pack's county_exit.sample_share (20%). Drawing again with the same seed and
    share changes nothing; with another seed or share the sample is replaced, which is refused
    once any result has been recorded (E_CONFLICT).
    """
    from fupin.policy.packs import get_pack

    area = access_county(actor, getattr(county, "code", county))
    _need(can_draw(actor), "抽样")
    try:
        share = get_pack().sample_share if share in (None, "") else Decimal(str(share))
    except InvalidOperation:
        raise ApplicationError(E.E_INVALID, "抽样比例应为数字 / share must be a number", field="share") from None
    if not (0 < share <= 100):
        raise ApplicationError(E.E_INVALID, "抽样比例应在 0–100 之间 / share must be above 0 and at most 100",
                               field="share")
    share = share.quantize(Decimal("0.01"))
    with transaction.atomic():
        spot = SpotCheck.objects.select_for_update().filter(county=area, year=year).first()
        before = None
        if spot is not None:
            if spot.seed == seed and spot.share == share:
                return spot  # the same draw: same sample, nothing to do
            if (spot.sampled.filter(finding__isnull=False).exists() or spot.responses.exists()):
                raise ApplicationError(E.E_CONFLICT, "已录入核验结果，不能重新抽样 / results have been recorded; "
                                       "the sample cannot be redrawn", county=area.code, year=year)
            before = {"seed": spot.seed, "share": spot.share}
            spot.sampled.all().delete()
        lo, hi = code_range(area.code, area.level)
        villages = dict(Area.objects.filter(level=5, code__gte=lo, code__lte=hi).values_list("code", "parent_id"))
        in_county = Household.objects.filter(village_id__gte=lo, village_id__lte=hi)
        exited = [(hid, number, _township_of(villages, v)) for hid, number, v in in_county.filter(
            kind=HouseholdKind.REGISTERED, status__in=EXITED_STATUSES, exit_year=year).values_list("id", "number", "village_id")]
        ordinary = [(hid, number, _township_of(villages, v)) for hid, number, v in in_county.filter(
            kind=HouseholdKind.ORDINARY).values_list("id", "number", "village_id")]
        now = timezone.now()
        fields = {"seed": seed, "share": share, "exited_total": len(exited), "ordinary_total": len(ordinary),
                  "drawn_by": actor, "drawn_at": now}
        if spot is None:
            spot = SpotCheck.objects.create(county=area, year=year, **fields)
        else:
            for k, v in fields.items():
                setattr(spot, k, v)
            spot.save()
        rows = [SampledHousehold(spot_check=spot, part=part, household_id=hid, township_id=t)
                for part, pool in ((EXITED, exited), (ORDINARY, ordinary))
                for hid, t in stratified_sample(pool, seed=seed, share=share)]
        SampledHousehold.objects.bulk_create(rows, batch_size=2000)
        n_exited = sum(r.part == EXITED for r in rows)
        audit.record(actor=actor, action="spotcheck.draw", object_type=OBJECT, object_id=spot.pk,
                     area_code=area.code, before=before,
                     after={"year": year, "seed": seed, "share": share, "exited_total": len(exited),
                            "exited_sampled": n_exited, "ordinary_total": len(ordinary),
                            "ordinary_sampled": len(rows) - n_exited})
    return spot


def _may_record(actor, spot: SpotCheck) -> None:
    access_county(actor, spot.county_id)
    _need(can_record(actor), "录入核验结果")


@transaction.atomic
def record_finding(*, actor, sampled: SampledHousehold, finding: bool, note: str = "") -> SampledHousehold:
    """The team's finding for one sampled household: for the exited part, whether it meets the
    6.1 exit criteria; for the ordinary part, whether it was found poor."""
    _may_record(actor, sampled.spot_check)
    before = {"finding": sampled.finding, "note": sampled.note}
    sampled.finding, sampled.note = bool(finding), (note or "").strip()[:200]
    sampled.recorded_by, sampled.recorded_at = actor, timezone.now()
    sampled.save(update_fields=["finding", "note", "recorded_by", "recorded_at"])
    b, a = audit.diff(before, {"finding": sampled.finding, "note": sampled.note})
    audit.record(actor=actor, action="spotcheck.finding", object_type=OBJECT, object_id=sampled.spot_check_id,
                 area_code=sampled.household.village_id, before=b,
                 after={**(a or {}), "household": sampled.household.number, "part": sampled.part})
    return sampled


def _household_in_county(spot: SpotCheck, number: str) -> Household:
    lo, hi = code_range(spot.county_id, 3)
    h = Household.objects.filter(number=number, village_id__gte=lo, village_id__lte=hi).first()
    if h is None:
        raise NotFound(f"{spot.county.name}没有户编号 {number} / no household {number} in this county")
    return h


@transaction.atomic
def record_survey(*, actor, spot_check: SpotCheck, household: Household | str, satisfied: bool,
                  note: str = "") -> SurveyResponse:
    """One household's satisfaction answer (群众认可度); the household must live in the county.
    Recording a household again replaces its answer."""
    _may_record(actor, spot_check)
    if isinstance(household, str):
        household = _household_in_county(spot_check, household)
    elif not Area(code=spot_check.county_id, level=3).contains(household.village_id):
        raise NotFound()
    resp, created = SurveyResponse.objects.update_or_create(
        spot_check=spot_check, household=household,
        defaults={"satisfied": bool(satisfied), "note": (note or "").strip()[:200], "recorded_by": actor,
                  "recorded_at": timezone.now()})
    audit.record(actor=actor, action="spotcheck.survey", object_type=OBJECT, object_id=spot_check.pk,
                 area_code=household.village_id,
                 after={"household": household.number, "satisfied": resp.satisfied, "note": resp.note,
                        "created": created})
    return resp


# --- `fupin spotcheck import FILE.csv` ----------------------------------------------------

SHEET = "抽查结果"
COLUMNS = ["年度", "户编号", "项目", "结果", "备注"]
ITEMS = {"退出户核验": EXITED, "一般农户核验": ORDINARY, "满意度调查": "survey"}


@dataclass
class ImportResult:
    findings: int = 0
    surveys: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read(path: Path) -> tuple[list[str], list[dict]]:
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError(E.E_FILE_FORMAT, "文件不是 UTF-8 编码的 CSV / the file is not UTF-8 CSV") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [clean(h) for h in (reader.fieldnames or [])]
    return headers, [{clean(k): clean(v) for k, v in r.items() if k is not None} for r in reader]


def import_results(*, actor, path: Path, dry_run: bool = False) -> ImportResult:
    """Results from a CSV file (columns 年度, 户编号, 项目, 结果, 备注; docs/cli.md). 项目:
    退出户核验 (结果 是 = meets the exit criteria), 一般农户核验 (结果 是 = found poor), 满意度调查
    (结果 是 = satisfied). All or nothing: every error is reported with its row and column, and a
    file with any error changes nothing."""
    _need(can_record(actor), "录入核验结果")
    headers, rows = _read(path)
    res = ImportResult()
    missing = [c for c in COLUMNS[:4] if c not in headers]
    if missing:
        res.errors = [RowError(SHEET, None, c, E.E_MISSING_COLUMN, f"缺少必填列“{c}” / missing column {c}")
                      for c in missing]
        return res
    numbers = sorted({r.get("户编号", "") for r in rows})
    households = {h.number: h for i in range(0, len(numbers), 500)
                  for h in Household.objects.filter(number__in=numbers[i:i + 500])}
    spots: dict[tuple[str, int], SpotCheck | None] = {}
    sampled: dict[tuple[int, int], SampledHousehold] = {}
    loaded: set[int] = set()
    visible: dict[str, bool] = {"": False}  # county code → inside the actor's areas
    plan = []
    for i, r in enumerate(rows, start=2):
        def err(col, code, msg, i=i):
            res.errors.append(RowError(SHEET, i, col, code, msg))
        year_s, number, item, result_s = r.get("年度", ""), r.get("户编号", ""), r.get("项目", ""), r.get("结果", "")
        n_err = len(res.errors)
        if not (year_s.isdigit() and len(year_s) == 4):
            err("年度", E.E_NUMBER, f"“年度”应为四位数字，而不是“{year_s}” / year must be 4 digits")
        if item not in ITEMS:
            err("项目", E.E_ENUM, f"“项目”应为 {'、'.join(ITEMS)} 之一，而不是“{item}” / unknown item")
        ok = parse_bool(result_s)
        if ok is None:
            err("结果", E.E_ENUM, f"“结果”应为 是 或 否，而不是“{result_s}” / result must be 是 or 否")
        h = households.get(number)
        county = h.village_id[:6] + "000000" if h else ""
        if county not in visible:
            try:
                access_county(actor, county)
                visible[county] = True
            except NotFound:
                visible[county] = False
        if h is None or not visible[county]:
            err("户编号", E.E_UNKNOWN_HOUSEHOLD, f"未知的户编号“{number}” / unknown household number")
            continue
        if len(res.errors) > n_err:
            continue
        key = (county, int(year_s))
        if key not in spots:
            spots[key] = SpotCheck.objects.filter(county_id=county, year=key[1]).first()
        spot = spots[key]
        if spot is None:
            err("年度", E.E_NOT_SAMPLED, f"{county} 尚未抽样 {year_s} 年 / no sample drawn for {county} {year_s}")
            continue
        if ITEMS[item] == "survey":
            plan.append(("survey", spot, h, ok, r.get("备注", "")))
            continue
        if spot.pk not in loaded:
            loaded.add(spot.pk)
            sampled.update({(s.spot_check_id, s.household_id): s for s in
                            SampledHousehold.objects.filter(spot_check=spot).select_related("household")})
        s = sampled.get((spot.pk, h.pk))
        if s is None or s.part != ITEMS[item]:
            err("户编号", E.E_NOT_SAMPLED, f"户 {number} 不在 {spot.year} 年{item}样本中 / household {number} "
                f"is not in the {spot.year} sample for {item}")
            continue
        plan.append(("finding", spot, s, ok, r.get("备注", "")))
    if res.errors or dry_run:
        res.findings = sum(p[0] == "finding" for p in plan)
        res.surveys = len(plan) - res.findings
        return res
    with transaction.atomic():
        now, entries = timezone.now(), []
        for kind, spot, obj, ok, note in plan:
            note = (note or "").strip()[:200]
            if kind == "finding":
                SampledHousehold.objects.filter(pk=obj.pk).update(finding=ok, note=note, recorded_by=actor,
                                                                  recorded_at=now)
                entries.append(audit.entry(actor=actor, action="spotcheck.finding", object_type=OBJECT,
                                           object_id=spot.pk, area_code=obj.household.village_id,
                                           before={"finding": obj.finding, "note": obj.note},
                                           after={"finding": ok, "note": note, "household": obj.household.number,
                                                  "part": obj.part, "file": Path(path).name}))
                res.findings += 1
            else:
                SurveyResponse.objects.update_or_create(spot_check=spot, household=obj, defaults={
                    "satisfied": ok, "note": note, "recorded_by": actor, "recorded_at": now})
                entries.append(audit.entry(actor=actor, action="spotcheck.survey", object_type=OBJECT,
                                           object_id=spot.pk, area_code=obj.village_id,
                                           after={"household": obj.number, "satisfied": ok, "note": note,
                                                  "file": Path(path).name}))
                res.surveys += 1
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return res
