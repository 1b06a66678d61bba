"""Writes to the registry. Every function takes the acting user, validates with the same
rules as the importer (registry.validation), writes an audit row per change and a readable
household event, and is atomic."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.accounts.access import can_unmask, can_write_registry, in_scope
from fupin.core import audit
from fupin.core.errors import ApplicationError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from fupin.core.pinyin import initials
from fupin.registry import validation as v
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
from fupin.registry.selectors import active_holders

HOUSEHOLD_FIELDS = ["kind", "village_id", "group", "head_name", "phone", "bank_name", "bank_account",
                    "year_registered", "attribute", "main_cause", "other_causes", "status", "exit_year",
                    "food_ok", "clothing_ok", "housing_grade", "renovated", "relocated", "safe_water",
                    "arable_land", "forest_land"]
MEMBER_FIELDS = ["name", "id_number", "relation", "sex", "birth_date", "ethnicity", "education", "school_status",
                 "home_schooling", "health", "labour", "migrant_work", "migrant_months", "soldier",
                 "medical_insurance", "pension_insurance", "state", "state_date"]
INCOME_FIELDS = ["wage", "business", "property_income", "transfer", "business_cost", "medical_spending",
                 "rigid_spending", "risks"]


def snapshot(obj, fields) -> dict:
    return {f: audit.jsonable(getattr(obj, f)) for f in fields}


def event(household: Household, actor, type: str, message: str, **parameters) -> HouseholdEvent:
    """An unsaved timeline event; callers save it (or bulk_create many)."""
    return HouseholdEvent(household=household, at=timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
                          type=type, message=message[:300], parameters=audit.jsonable(parameters))


def _require_writer(actor, village_code: str):
    if not can_write_registry(actor):
        raise PermissionDenied()
    if not in_scope(actor, village_code):
        # Outside the actor's areas the village "does not exist" for them.
        raise ApplicationError(ErrorCode.E_UNKNOWN_AREA,
                               f"“{village_code}”不在您的管辖范围内或不存在 / {village_code} is not a village in your areas")


def _raise_if(errors):
    if errors:
        raise ValidationFailed([e.as_dict() for e in errors])


def _area_exists(code: str) -> bool:
    from fupin.areas.models import Area

    return Area.objects.filter(code=code, level=5).exists()


@transaction.atomic
def household_create(*, actor, household: dict, members: list[dict]) -> Household:
    """Create a household with its members and the income record of its 收入年度.

    `household` and `members` are rows keyed by the exchange-format headers (户/人 sheets).
    """
    hh, errors = v.parse_household(household, area_exists=_area_exists)
    parsed = []
    for i, raw in enumerate(members, start=1):
        raw = {**raw, "户编号": raw.get("户编号") or hh["number"]}
        m, merr = v.parse_member(raw, row=i)
        errors += merr
        parsed.append((i, m))
    _raise_if(errors)
    _require_writer(actor, hh["village_id"])
    errors += v.check_composition(hh, None, parsed)
    seen = set()
    for row, m in parsed:
        if m["id_number"] in seen:
            errors.append(v.RowError(v.MEMBER_SHEET, row, "证件号码", ErrorCode.E_DUP_ID_IN_FILE,
                                     "同一证件号码出现两次 / the same ID number appears twice"))
        seen.add(m["id_number"])
    holders = active_holders([m["id_number"] for _, m in parsed if m["state"] == "在户"])
    for row, m in parsed:
        if m["id_number"] in holders:
            errors.append(v.RowError(v.MEMBER_SHEET, row, "证件号码", ErrorCode.E_DUP_ID_IN_REGISTRY,
                                     f"此人已是户“{holders[m['id_number']][1]}”的成员 / already in household "
                                     f"{holders[m['id_number']][1]}"))
    if Household.objects.filter(number=hh["number"]).exists():
        errors.append(v.RowError(v.HOUSEHOLD_SHEET, None, "户编号", ErrorCode.E_DUP_HOUSEHOLD_NO,
                                 f"户编号“{hh['number']}”已存在 / household number already exists"))
    _raise_if(errors)
    h = Household(number=hh["number"], head_initials=initials(hh["head_name"]),
                  **{f: hh[f] for f in HOUSEHOLD_FIELDS})
    h.save()
    income = hh["income"]
    IncomeRecord.objects.create(household=h, **income)
    objs = [Member(household=h, name_initials=initials(m["name"]), **{f: m[f] for f in MEMBER_FIELDS})
            for _, m in parsed]
    Member.objects.bulk_create(objs)
    entries = [audit.entry(actor=actor, action="household.create", object_type="household", object_id=h.number,
                           area_code=h.village_id, after=snapshot(h, HOUSEHOLD_FIELDS)),
               audit.entry(actor=actor, action="income.set", object_type="income", object_id=f"{h.number}/{income['year']}",
                           area_code=h.village_id, after=audit.jsonable(income))]
    entries += [audit.entry(actor=actor, action="member.create", object_type="member", object_id=h.number,
                            area_code=h.village_id, after=snapshot(m, MEMBER_FIELDS)) for m in objs]
    audit.AuditEntry.objects.bulk_create(entries)
    event(h, actor, "created", f"建档：户主 {h.head_name}，{len(objs)} 人", members=len(objs)).save()
    return h


def _lock(household: Household, expected_version: int | None) -> Household:
    h = Household.objects.select_for_update().get(pk=household.pk)
    if expected_version is not None and h.version != expected_version:
        raise ApplicationError(ErrorCode.E_CONFLICT,
                               "该户已被他人修改，请刷新后重试 / the household was changed by someone else; reload")
    return h


_PROCEDURE_HEADERS = (("户类型", "kind"), ("脱贫状态", "status"), ("脱贫年度", "exit_year"))


def _keep_procedure_fields(household: Household, data: dict) -> dict:
    """The row with the stored 户类型/脱贫状态/脱贫年度 (empty cells mean "unchanged")."""
    from fupin.core.text import clean
    from fupin.registry.choices import IMPORTABLE_STATUSES

    row = dict(data)
    for header, field in _PROCEDURE_HEADERS:
        stored = getattr(household, field)
        stored = "" if stored is None else str(stored)
        sent = clean(row.get(header))
        if sent and sent != stored:
            raise ApplicationError(ErrorCode.E_STATUS_BY_PROCEDURE,
                                   f"“{header}”只能通过程序变更（现为“{stored or '空'}”）/ {header} changes only "
                                   f"through a procedure", column=header)
        row[header] = stored
    # 监测对象 is not an exchange-format status; validate the rest of the row with the importable default.
    if row["脱贫状态"] and row["脱贫状态"] not in IMPORTABLE_STATUSES:
        row["脱贫状态"], row["脱贫年度"] = "", ""
    return row


@transaction.atomic
def household_update(*, actor, household: Household, data: dict, expected_version: int | None = None) -> Household:
    """Update a household's fields and its income record for the row's 收入年度.

    户类型, 脱贫状态 and 脱贫年度 are kept as stored: they change only through the procedures
    (domain.md section 7, household_set_status). A row that sends other values is refused."""
    data = _keep_procedure_fields(household, data)
    hh, errors = v.parse_household(data, area_exists=_area_exists)
    _raise_if(errors)
    hh.update(kind=household.kind, status=household.status, exit_year=household.exit_year)
    _require_writer(actor, household.village_id)
    _require_writer(actor, hh["village_id"])
    h = _lock(household, expected_version)
    if hh["number"] != h.number:
        raise ApplicationError(ErrorCode.E_INVALID, "户编号不可修改 / the household number cannot change")
    head = h.members.filter(relation="户主").exclude(state__in=["死亡", "迁出"]).first()
    if head and (hh["head_name"] != head.name or hh["head_id_number"] != head.id_number):
        _raise_if([v.RowError(v.HOUSEHOLD_SHEET, None, "户主姓名", ErrorCode.E_HEAD_MISMATCH,
                              "户主信息须与户主成员一致；更换户主请修改成员 / head must match the head member")])
    before = snapshot(h, HOUSEHOLD_FIELDS)
    for f in HOUSEHOLD_FIELDS:
        setattr(h, f, hh[f])
    h.head_initials = initials(h.head_name)
    after = snapshot(h, HOUSEHOLD_FIELDS)
    b, a = audit.diff(before, after)
    entries, changes = [], []
    if a:
        h.version += 1
        h.save()
        entries.append(audit.entry(actor=actor, action="household.update", object_type="household",
                                   object_id=h.number, area_code=h.village_id, before=b, after=a))
        changes.append("、".join(Household._meta.get_field(k.removesuffix("_id")).verbose_name for k in a))
    income = hh["income"]
    rec = IncomeRecord.objects.filter(household=h, year=income["year"]).first()
    ib = snapshot(rec, INCOME_FIELDS) if rec else None
    if rec is None:
        rec = IncomeRecord(household=h, year=income["year"])
    for f in INCOME_FIELDS:
        setattr(rec, f, income[f])
    ia = snapshot(rec, INCOME_FIELDS)
    if ib != ia:
        rec.save()
        b2, a2 = audit.diff(ib, ia)
        entries.append(audit.entry(actor=actor, action="income.set", object_type="income",
                                   object_id=f"{h.number}/{income['year']}", area_code=h.village_id,
                                   before=b2, after=a2))
        changes.append(f"{income['year']}年收入")
    if entries:
        audit.AuditEntry.objects.bulk_create(entries)
        event(h, actor, "updated", "修改：" + "；".join(changes)).save()
    return h


@transaction.atomic
def member_save(*, actor, household: Household, data: dict, member: Member | None = None) -> Member:
    """Add a member to a household, or update one (matched by `member`)."""
    raw = {**data, "户编号": household.number}
    m, errors = v.parse_member(raw)
    _raise_if(errors)
    _require_writer(actor, household.village_id)
    h = _lock(household, None)
    if member is not None and member.household_id != h.pk:
        raise NotFound()
    if m["state"] == "在户":
        holder = active_holders([m["id_number"]]).get(m["id_number"])
        if holder and (member is None or holder[0] != h.pk or m["id_number"] != member.id_number):
            if holder[0] != h.pk:
                _raise_if([v.RowError(v.MEMBER_SHEET, None, "证件号码", ErrorCode.E_DUP_ID_IN_REGISTRY,
                                      f"此人已是户“{holder[1]}”的成员 / already in household {holder[1]}")])
            elif member is None or member.id_number != m["id_number"]:
                _raise_if([v.RowError(v.MEMBER_SHEET, None, "证件号码", ErrorCode.E_DUP_ID_IN_FILE,
                                      "此人已是本户成员 / already a member of this household")])
    if m["relation"] == "户主" and m["state"] == "在户":
        other_head = h.members.filter(relation="户主", state="在户")
        if member is not None:
            other_head = other_head.exclude(pk=member.pk)
        if other_head.exists():
            _raise_if([v.RowError(v.MEMBER_SHEET, None, "与户主关系", ErrorCode.E_MULTIPLE_HEADS,
                                  "本户已有户主；请先修改原户主的关系 / the household already has a head")])
    before = snapshot(member, MEMBER_FIELDS) if member else None
    obj = member or Member(household=h)
    for f in MEMBER_FIELDS:
        setattr(obj, f, m[f])
    obj.name_initials = initials(obj.name)
    after = snapshot(obj, MEMBER_FIELDS)
    if before == after:
        return obj
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        _raise_if([v.RowError(v.MEMBER_SHEET, None, "证件号码", ErrorCode.E_DUP_ID_IN_REGISTRY,
                              "此人已是其他户的成员 / person already in another household")])
    if obj.relation == "户主" and obj.state == "在户" and (h.head_name != obj.name):
        h.head_name, h.head_initials = obj.name, initials(obj.name)
        h.version += 1
        h.save(update_fields=["head_name", "head_initials", "version", "updated_at"])
    b, a = audit.diff(before, after)
    audit.record(actor=actor, action="member.update" if member else "member.create", object_type="member",
                 object_id=h.number, area_code=h.village_id, before=b, after=a)
    msg = f"修改成员 {obj.name}" if member else f"新增成员 {obj.name}（{obj.relation}）"
    event(h, actor, "member", msg).save()
    return obj


def unmask(*, actor, household: Household, reason: str, what: str = "证件号码") -> None:
    """Record that `actor` viewed full personal numbers of a household (security.md 3)."""
    if not can_unmask(actor):
        raise PermissionDenied("无权查看完整号码 / not allowed to view full numbers")
    if not (reason or "").strip():
        raise ApplicationError(ErrorCode.E_REASON_REQUIRED, "查看完整号码须填写理由 / a reason is required")
    if not in_scope(actor, household.village_id):
        raise NotFound()
    audit.record(actor=actor, action="pii.unmask", object_type="household", object_id=household.number,
                 area_code=household.village_id, reason=reason.strip()[:500], after={"what": what})


STATUS_FIELDS = ["kind", "status", "exit_year", "year_registered"]
_UNSET = object()


@transaction.atomic
def household_set_status(*, actor, household: Household, status: str, reason: str, exit_year=_UNSET,
                         kind: str | None = None, year_registered=_UNSET) -> Household:
    """The one way a household's 脱贫状态 (and, for 纳入/清退, its 户类型) changes outside an import:
    called by the procedures (domain.md section 7) when a case reaches its outcome. `reason` names
    the case; the edit pages and the API leave these fields as they are."""
    h = _lock(household, None)
    before = snapshot(h, STATUS_FIELDS)
    h.status = status
    if exit_year is not _UNSET:
        h.exit_year = exit_year
    if kind is not None:
        h.kind = kind
    if year_registered is not _UNSET:
        h.year_registered = year_registered
    after = snapshot(h, STATUS_FIELDS)
    b, a = audit.diff(before, after)
    if not a:
        return h
    h.version += 1
    h.save(update_fields=[*STATUS_FIELDS, "version", "updated_at"])
    audit.record(actor=actor, action="household.status", object_type="household", object_id=h.number,
                 area_code=h.village_id, before=b, after=a, reason=reason[:500])
    event(h, actor, "status", f"脱贫状态：{before['status'] or '—'} → {h.status or '—'}（{reason}）"[:300],
          before=b, after=a).save()
    household.status, household.exit_year, household.kind = h.status, h.exit_year, h.kind
    household.year_registered, household.version = h.year_registered, h.version
    return h
