"""The transition services: the only code that changes a case's state (domain.md section 7).

Every write takes the acting user, runs in one transaction, locks the case row (SELECT … FOR
UPDATE on PostgreSQL; SQLite serialises writers itself) so that concurrent approvals give exactly
one transition (security.md 11), writes one audit row and one readable household event per
transition, and changes the household's registry status only through
fupin.registry.services.household_set_status when a case reaches its outcome.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.accounts.access import in_scope
from fupin.accounts.models import Role
from fupin.areas.models import Area, code_range
from fupin.core import audit
from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.errors import ErrorCode as E
from fupin.core.logging import mask_text
from fupin.policy.packs import get_pack
from fupin.procedures import machines as m
from fupin.procedures.models import Attachment, Case, Notice, NoticeEntry, Objection, Step
from fupin.registry import choices as c
from fupin.registry.models import Household
from fupin.registry.services import event, household_set_status

STAFF = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY}
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# type by the file's first bytes, never by its name or the browser's word for it
ATTACHMENT_TYPES = [(b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
                    (b"\xff\xd8\xff", "image/jpeg", "jpg")]
VOTE_KEYS = ("agree", "against", "abstain")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# ---------------------------------------------------------------- preconditions and outcomes

def precondition_ok(name: str, h: Household) -> bool:
    """May a case of procedure `name` concern household `h` in its current registry state?"""
    reg, kind, status = c.HouseholdKind.REGISTERED, h.kind, h.status
    if name in (m.IDENTIFICATION, f"{m.ADJUSTMENT}:{m.NEW_IDENTIFICATION}"):
        return kind == c.HouseholdKind.ORDINARY
    if name == m.EXIT:
        return kind == reg and status in (c.Status.NOT_EXITED, c.Status.RETURNED)
    if name == f"{m.ADJUSTMENT}:{m.RETURN}":
        return kind == reg and status in (c.Status.EXITED, c.Status.MONITORED)
    if name == f"{m.ADJUSTMENT}:{m.NATURAL_DECREASE}":
        return kind == reg and h.members.exclude(state=c.MemberState.PRESENT).exists()
    if name == f"{m.ADJUSTMENT}:{m.REMOVAL}":
        return kind == reg
    if name == m.MONITORING:
        # domain.md 6.5: exited households and ordinary rural households; not those under assistance
        return (kind == reg and status == c.Status.EXITED) or (kind == c.HouseholdKind.ORDINARY and status == "")
    return False


OUTCOME_STATES = {"registered", "exited", "returned", "monitored", "removed", "decreased", "eliminated"}


def _apply_outcome(actor, case: Case, h: Household, now: dt.datetime) -> None:
    """The registry change a terminal (or 监测对象) state stands for."""
    state, label = case.state, case.machine.label
    why = f"{label}程序 #{case.pk}：{m.STATE_LABELS[state]}"
    if state not in OUTCOME_STATES:
        return
    if state == "eliminated":
        if h.status != c.Status.MONITORED:
            raise ApplicationError(E.E_CASE_PRECONDITION, "该户已不是监测对象 / the household is no longer monitored")
        household_set_status(actor=actor, household=h, status=case.prior_status, reason=why)
        return
    if not precondition_ok(case.machine.name, h):
        raise ApplicationError(E.E_CASE_PRECONDITION,
                               f"该户状态已变为“{h.status or '空'}”，不能办结 / the household's status changed meanwhile")
    if state == "registered":
        household_set_status(actor=actor, household=h, status=c.Status.NOT_EXITED, exit_year=None,
                             kind=c.HouseholdKind.REGISTERED, year_registered=case.year, reason=why)
        _close_monitoring(actor, h, case, "因纳入建档立卡办结", now)
    elif state == "exited":
        household_set_status(actor=actor, household=h, status=c.Status.EXITED, exit_year=case.year, reason=why)
    elif state == "returned":
        household_set_status(actor=actor, household=h, status=c.Status.RETURNED, exit_year=None, reason=why)
        _close_monitoring(actor, h, case, "因返贫办结", now)
    elif state == "monitored":
        case.monitored_since = now
        household_set_status(actor=actor, household=h, status=c.Status.MONITORED, reason=why)
    elif state == "removed":
        household_set_status(actor=actor, household=h, status="", exit_year=None, kind=c.HouseholdKind.ORDINARY,
                             reason=why)
        _close_monitoring(actor, h, case, "因清退办结", now)
    elif state == "decreased" and not h.members.filter(state=c.MemberState.PRESENT).exists():
        household_set_status(actor=actor, household=h, status="", exit_year=None, reason=why + "（销户）")
        _close_monitoring(actor, h, case, "因销户办结", now)


def _close_monitoring(actor, h: Household, cause: Case, word: str, now: dt.datetime) -> None:
    """Another procedure's outcome (返贫, 清退, 纳入, 销户) ends the household's monitoring: its open
    monitoring case, at whatever step, is closed as 因其他程序办结 with a step, an audit row and a
    timeline line naming the cause — else it would wait forever at a step nobody can take."""
    other = Case.objects.select_for_update().filter(household=h, kind=m.MONITORING, closed=False).first()
    if other is None or other.pk == cause.pk:
        return
    from_state = other.state
    other.state, other.closed, other.suspended = m.SUPERSEDED, True, False
    other.version += 1
    other.updated_at, other.last_actor = now, actor
    other.save()
    _record_step(actor=actor, case=other, h=h, from_state=from_state, action=m.CLOSE,
                 opinion=f"{word}（{cause.machine.label}程序 #{cause.pk}）", reason="", votes=None, notice=None,
                 files=[], now=now)


# ---------------------------------------------------------------- attachments

@dataclass(frozen=True)
class _File:
    name: str
    data: bytes
    content_type: str
    ext: str
    sha256: str


def _read_attachment(item) -> _File:
    """An uploaded file or (name, bytes): checked for size and type before anything is written."""
    if isinstance(item, tuple):
        name, data = item
    else:
        if item.size > ATTACHMENT_MAX_BYTES:
            raise ApplicationError(E.E_ATTACHMENT, "附件不能超过 5 MB / attachments are limited to 5 MB",
                                   name=str(item.name)[:100])
        name, data = item.name, item.read()
    name = Path(str(name)).name[:200] or "附件"
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise ApplicationError(E.E_ATTACHMENT, "附件不能超过 5 MB / attachments are limited to 5 MB", name=name[:100])
    for magic, ctype, ext in ATTACHMENT_TYPES:
        if data.startswith(magic):
            return _File(name, data, ctype, ext, hashlib.sha256(data).hexdigest())
    raise ApplicationError(E.E_ATTACHMENT, "附件只能是 PDF、JPEG 或 PNG / attachments must be PDF, JPEG or PNG",
                           name=name[:100])


def _store(actor, case: Case, step: Step, f: _File, now) -> Attachment:
    rel = f"procedures/{f.sha256[:2]}/{f.sha256}.{f.ext}"
    path = Path(settings.MEDIA_ROOT) / rel
    if not path.exists():  # content-addressed: the same scan uploaded twice is stored once
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(f.data)
        tmp.replace(path)
    return Attachment.objects.create(case=case, step=step, name=f.name, content_type=f.content_type,
                                     size=len(f.data), sha256=f.sha256, path=rel, uploaded_by=actor, at=now)


def attachment_path(a: Attachment) -> Path:
    return Path(settings.MEDIA_ROOT) / a.path


# ---------------------------------------------------------------- open and act

def _role_word(role: str) -> str:
    return m.ROLE_LABELS.get(role, role)


def _parse_votes(votes) -> tuple[int, int, int] | None:
    if votes is None or votes == {}:
        return None
    try:
        counts = tuple(int(votes.get(k, 0) if isinstance(votes, dict) else votes[i]) for i, k in enumerate(VOTE_KEYS))
    except (TypeError, ValueError, IndexError):
        raise ApplicationError(E.E_VOTES, "票数须为非负整数 / vote counts must be whole numbers") from None
    if any(n < 0 or n > 100000 for n in counts):
        raise ApplicationError(E.E_VOTES, "票数须为非负整数 / vote counts must be whole numbers")
    return counts


def _event(h: Household, actor, type: str, message: str, now: dt.datetime, **parameters) -> None:
    """A timeline line dated with the transition's own time (the clock tests and batches pass)."""
    ev = event(h, actor, type, message, **parameters)
    ev.at = now
    ev.save()


def _record_step(*, actor, case: Case, h: Household, from_state: str, action: str, opinion: str, reason: str,
                 votes, notice, files, now) -> Step:
    seq = case.steps.count() + 1
    step = Step.objects.create(
        case=case, seq=seq, from_state=from_state, to_state=case.state, action=action, actor=actor,
        actor_name=actor.username, actor_role=actor.role, at=now, opinion=opinion, reason=reason,
        votes_agree=votes[0] if votes else None, votes_against=votes[1] if votes else None,
        votes_abstain=votes[2] if votes else None, notice=notice)
    stored = [_store(actor, case, step, f, now) for f in files]
    after = {"state": case.state, "version": case.version}
    if votes:
        after["votes"] = dict(zip(VOTE_KEYS, votes, strict=True))
    if notice:
        after["notice"] = notice.pk
    if stored:
        after["attachments"] = [a.sha256 for a in stored]
    audit.record(actor=actor, action=f"case.{action}", object_type="case", object_id=case.pk,
                 area_code=h.village_id, before={"state": from_state} if from_state else None, after=after,
                 reason=reason[:500])
    label = case.machine.label
    if action == m.OPEN:
        text = f"{label}：{case.machine.open_label}（{case.year}年）→ {case.state_label}"
    else:
        text = f"{label}：{m.STATE_LABELS[from_state]}{m.ACTION_LABELS[action]} → {case.state_label}"
    if votes:
        text += f"（同意 {votes[0]}，反对 {votes[1]}，弃权 {votes[2]}）"
    if reason:
        text += f"；理由：{reason}"
    elif opinion:
        text += f"；意见：{opinion}"
    _event(h, actor, "procedure", mask_text(text), now, case=case.pk, step=seq, action=action, to=case.state)
    return step


@transaction.atomic
def case_open(*, actor, household: Household, kind: str, year: int, sub_kind: str = "", opinion: str = "",
              attachments=(), now: dt.datetime | None = None) -> Case:
    """Open a case (申请 / 拟退出 / 预警纳入 …): domain.md section 7. The opener counts as the maker
    of the first step, so someone else takes it."""
    now = _now(now)
    if not in_scope(actor, household.village_id):
        raise NotFound()
    if kind != m.ADJUSTMENT:
        sub_kind = ""
    try:
        machine = m.machine_for(kind, sub_kind)
    except KeyError:
        raise ApplicationError(E.E_INVALID, f"未知的程序“{kind} {sub_kind}” / unknown procedure") from None
    if actor.role not in machine.openers:
        raise PermissionDenied(f"{machine.label}程序不能由{actor.get_role_display()}发起 / your role cannot open this "
                               f"procedure")
    opinion = (opinion or "").strip()
    if sub_kind == m.REMOVAL and not opinion:
        raise ApplicationError(E.E_REASON_REQUIRED, "清退须写明比对发现 / removal needs the cross-check finding")
    files = [_read_attachment(a) for a in attachments]
    h = Household.objects.select_for_update().get(pk=household.pk)
    if not precondition_ok(machine.name, h):
        raise ApplicationError(E.E_CASE_PRECONDITION,
                               f"该户（{h.kind}，{h.status or '无脱贫状态'}）不能发起{machine.label}程序 / the "
                               f"household's type or status does not allow this procedure")
    if Case.objects.filter(household=h, kind=kind, closed=False).exists():
        raise ApplicationError(E.E_CASE_OPEN)
    try:
        with transaction.atomic():
            case = Case.objects.create(kind=kind, sub_kind=sub_kind, household=h, year=year, state=machine.start,
                                       prior_status=h.status, opened_at=now, opened_by=actor, updated_at=now,
                                       last_actor=actor)
    except IntegrityError:
        raise ApplicationError(E.E_CASE_OPEN) from None
    _record_step(actor=actor, case=case, h=h, from_state="", action=m.OPEN, opinion=opinion,
                 reason=opinion if sub_kind == m.REMOVAL else "", votes=None, notice=None, files=files, now=now)
    return case


def _notice_entry(case: Case, level: str) -> NoticeEntry | None:
    return (NoticeEntry.objects.filter(case=case, state=case.state, notice__level=level)
            .select_related("notice").first())


# domain.md 6.5 triggers, as the elimination refusal names them
TRIGGER_LABELS = {"INCOME": "人均纯收入低于监测标准", "SPENDING": "刚性支出过大", "FOOD": "未实现不愁吃",
                  "CLOTHING": "未实现不愁穿", "EDUCATION": "义务教育阶段有失学辍学", "MEDICAL": "有成员未参加基本医疗保险",
                  "HOUSING": "住房不安全", "WATER": "饮水不安全", "RISK": "发生风险事件",
                  "NO_INCOME_DATA": "无收入记录", "NO_MEMBER": "无在户成员"}


def _check_risk_eliminated(h: Household, now: dt.datetime) -> None:
    """domain.md 6.5: the risk may be eliminated (proposed by the village, decided by the county)
    only when, on the check date (the step's local date), no trigger holds and at least one 在户
    member is 普通劳动力 or 技能劳动力. A pack without a threshold for that year raises E_POLICY_YEAR."""
    from fupin.policy.services import household_monitoring

    verdict = household_monitoring(h, day=timezone.localdate(now), pack=get_pack())
    if verdict is None or h.status != c.Status.MONITORED:
        raise ApplicationError(E.E_CASE_PRECONDITION, "该户已不是监测对象 / the household is no longer monitored")
    if verdict.can_eliminate:
        return
    if verdict.triggers:
        words = "、".join(TRIGGER_LABELS.get(t, t) for t in verdict.triggers)
        raise ApplicationError(E.E_CASE_PRECONDITION, f"风险未消除：{words} / the risk persists: "
                               f"{', '.join(verdict.triggers)}", triggers=list(verdict.triggers))
    raise ApplicationError(E.E_CASE_PRECONDITION, "风险消除须至少一名在户成员为普通劳动力或技能劳动力 / elimination "
                           "needs at least one present member able to work", triggers=[])


def _upheld_objection(case: Case) -> bool:
    """An objection upheld against the notice the case is on for the step it waits at: resolving it
    lifts the suspension, but that step can then only be rejected (domain.md 7)."""
    return Objection.objects.filter(cases=case, upheld=True, notice__entries__case=case,
                                    notice__entries__state=case.state).exists()


@transaction.atomic
def case_act(*, actor, case: Case, action: str, opinion: str = "", votes=None, attachments=(),
             expected_version: int | None = None, method: str = "", now: dt.datetime | None = None,
             batch: bool = False) -> Case:
    """Take the step a case waits at: approve (通过) or reject (驳回, `opinion` is the reason).

    Refused, changing nothing, when: the case is outside the actor's areas (NotFound); the action is
    not in the procedure's table for the state (E_TRANSITION); the actor's role is not the step's
    level (E_PERMISSION); the case was changed since `expected_version` (E_CONFLICT); an objection
    suspends it (E_CASE_SUSPENDED); the actor took the previous step (E_MAKER_CHECKER, domain.md 7);
    a rejection has no reason; a review lacks a majority (E_VOTES); its notice is missing or still
    running (E_NOTICE_REQUIRED / E_NOTICE_RUNNING), or an objection to that notice was upheld
    (E_OBJECTION_UPHELD: only a rejection is left); a risk elimination is proposed or decided while a
    6.5 trigger holds or no present member can work (E_CASE_PRECONDITION) or before the pack's months
    (E_MONITORING_TOO_SHORT, domain.md 6.5). `batch`: one of many cases approved together, which
    never passes a step that needs its own vote counts (E_VOTES)."""
    now = _now(now)
    row = Case.objects.select_for_update().filter(pk=case.pk).first()
    if row is None:
        raise NotFound()
    # the household too: another procedure's outcome may be changing it (its precondition is checked below)
    h = Household.objects.select_for_update().get(pk=row.household_id)
    if not in_scope(actor, h.village_id):
        raise NotFound()
    if expected_version is not None and row.version != expected_version:
        raise ApplicationError(E.E_CONFLICT, "案件已被他人办理，请刷新后重试 / the case was changed by someone else; reload")
    machine = row.machine
    nxt = None if row.closed else m.next_step(machine, row.state, action)
    if nxt is None:
        raise ApplicationError(E.E_TRANSITION, f"“{row.state_label}”环节不能“{m.ACTION_LABELS.get(action, action)}” / "
                                               f"action {action} not allowed at {row.state}")
    to_state, role = nxt
    if actor.role != role:
        raise PermissionDenied(f"“{row.state_label}”由{_role_word(role)}级办理 / this step is taken at {role} level")
    if row.suspended:
        raise ApplicationError(E.E_CASE_SUSPENDED)
    if row.last_actor_id == actor.pk:
        raise ApplicationError(E.E_MAKER_CHECKER)
    opinion = (opinion or "").strip()
    counts = _parse_votes(votes)
    rule = machine.rule(row.state)
    notice = None
    if action == m.REJECT:
        if not opinion:
            raise ApplicationError(E.E_REASON_REQUIRED, "驳回须填写理由 / a rejection needs a reason")
    else:
        if _upheld_objection(row):
            raise ApplicationError(E.E_OBJECTION_UPHELD)
        if batch and rule.votes:
            raise ApplicationError(E.E_VOTES, "该步骤需逐户录入表决票数 / this step needs each household's own vote counts")
        if rule.votes and (counts is None or not m.votes_pass(*counts)):
            raise ApplicationError(E.E_VOTES, "民主评议须填写票数，且同意票过半数 / the review needs vote counts "
                                              "with a majority in favour")
        if rule.notice:
            entry = _notice_entry(row, rule.notice)
            if entry is None:
                raise ApplicationError(E.E_NOTICE_REQUIRED)
            if entry.notice.end > now:
                until = timezone.localtime(entry.notice.end).strftime("%Y-%m-%d %H:%M")
                raise ApplicationError(E.E_NOTICE_RUNNING, f"公示期至 {until} / the notice runs until {until}",
                                       end=entry.notice.end.isoformat())
            notice = entry.notice
        if rule.method:
            if method not in m.ELIMINATION_METHODS:
                raise ApplicationError(E.E_INVALID, "请选择风险消除方式（帮扶后消除 / 自然消除） / choose how the risk "
                                                    "was eliminated")
            row.elimination_method = method
        if rule.method or rule.min_months:
            _check_risk_eliminated(h, now)
        if rule.min_months:
            need = get_pack().min_months_before_elimination
            # calendar months as people count them: local dates (a UTC date is a day behind before 08:00)
            if row.monitored_since is None or m.months_between(timezone.localdate(row.monitored_since),
                                                               timezone.localdate(now)) < need:
                raise ApplicationError(E.E_MONITORING_TOO_SHORT,
                                       f"纳入监测须满 {need} 个月才能消除风险 / monitored for at least {need} months "
                                       f"before elimination", months=need)
    files = [_read_attachment(a) for a in attachments]
    from_state = row.state
    row.state = to_state
    row.closed = to_state in machine.terminal
    row.version += 1
    row.updated_at = now
    row.last_actor = actor
    if from_state == "monitored":
        row.elimination_method = method
    if action == m.APPROVE:  # a rejected elimination returns to 监测对象 with no registry change
        _apply_outcome(actor, row, h, now)
    row.save()
    _record_step(actor=actor, case=row, h=h, from_state=from_state, action=action, opinion=opinion,
                 reason=opinion if action == m.REJECT else "", votes=counts, notice=notice, files=files, now=now)
    case.state, case.closed, case.version = row.state, row.closed, row.version
    return row


# ---------------------------------------------------------------- public notices

NOTICE_LEVEL_OF_AREA = {m.VILLAGE: 5, m.TOWNSHIP: 4, m.COUNTY: 3}
MATTERS = {
    m.IDENTIFICATION: "拟纳入建档立卡贫困户", f"{m.ADJUSTMENT}:{m.NEW_IDENTIFICATION}": "拟新识别贫困户",
    m.EXIT: "拟退出贫困户", f"{m.ADJUSTMENT}:{m.RETURN}": "拟返贫户", f"{m.ADJUSTMENT}:{m.REMOVAL}": "拟清退户",
    f"{m.ADJUSTMENT}:{m.NATURAL_DECREASE}": "自然减少", m.MONITORING: "拟纳入防返贫监测对象",
}


def notice_area_code(village_code: str, level: str) -> str:
    """The area a notice of `level` about a household of `village_code` covers (village/township/county)."""
    digits = {m.VILLAGE: 12, m.TOWNSHIP: 9, m.COUNTY: 6}[level]
    return village_code[:digits].ljust(12, "0")


def deidentified_row(case: Case, h: Household, village: Area) -> dict:
    """What a notice shows of a household: name, village, group, attribute, matter — never an ID
    number, phone or bank account (domain.md 7, security.md 2). Free text is masked as a guard."""
    return {k: mask_text(str(v or "")) for k, v in {
        "name": h.head_name, "village": village.name, "group": h.group, "attribute": h.attribute,
        "matter": MATTERS.get(case.machine.name, case.machine.label)}.items()}


@dataclass
class Outcome:
    """What a batch did to one case (or household): done, or skipped with a code and reason."""

    case_id: int | None
    household: str
    name: str
    done: bool
    code: str = ""
    message: str = ""


def _skip(case_or_h, exc: ApplicationError) -> Outcome:
    h = case_or_h.household if isinstance(case_or_h, Case) else case_or_h
    return Outcome(case_or_h.pk if isinstance(case_or_h, Case) else None, h.number, h.head_name, False, exc.code,
                   exc.message)


@transaction.atomic
def notice_create(*, actor, cases, level: str | None = None, area_code: str | None = None, title: str = "",
                  now: dt.datetime | None = None) -> tuple[Notice | None, list[Outcome]]:
    """Put cases waiting at a notice step of `level` on one notice of one area, running
    pack.notice_days["household"] days from now. Cases that do not qualify are skipped with a reason;
    no notice is made when none qualifies."""
    now = _now(now)
    ids = sorted({getattr(x, "pk", x) for x in cases})
    rows = {r.pk: r for r in Case.objects.select_for_update().filter(pk__in=ids)}
    households = {h.pk: h for h in Household.objects.filter(pk__in=[r.household_id for r in rows.values()])
                  .select_related("village")}
    outcomes: list[Outcome] = []
    chosen: list[tuple[Case, Household]] = []
    for pk in ids:
        row = rows.get(pk)
        h = households.get(row.household_id) if row else None
        if row is None or not in_scope(actor, h.village_id):
            outcomes.append(Outcome(pk, "", "", False, E.E_NOT_FOUND, "未找到 / not found"))
            continue
        row.household = h
        rule = row.machine.rule(row.state) if not row.closed else m.StepRule()
        if not rule.notice:
            outcomes.append(_skip(row, ApplicationError(E.E_NOTICE_SCOPE, f"案件在“{row.state_label}”环节，不在公示环节 / "
                                                                          f"not at a notice step")))
            continue
        level = level or rule.notice
        area_code = area_code or notice_area_code(h.village_id, level)
        if rule.notice != level or notice_area_code(h.village_id, level) != area_code:
            outcomes.append(_skip(row, ApplicationError(E.E_NOTICE_SCOPE)))
            continue
        if actor.role != row.machine.role_at(row.state):
            outcomes.append(_skip(row, PermissionDenied(f"此公示由{_role_word(level)}级发布 / posted at {level} level")))
            continue
        if row.suspended:
            outcomes.append(_skip(row, ApplicationError(E.E_CASE_SUSPENDED)))
            continue
        if NoticeEntry.objects.filter(case=row, state=row.state).exists():
            outcomes.append(_skip(row, ApplicationError(E.E_NOTICE_SCOPE, "该案件已在本环节公示 / already on a notice "
                                                                          "for this step")))
            continue
        chosen.append((row, h))
    if not chosen:
        return None, outcomes
    area = Area.objects.get(code=area_code)
    if area.level != NOTICE_LEVEL_OF_AREA[level] or not in_scope(actor, area.code):
        raise NotFound()
    pack = get_pack()
    days = pack.notice_days["household"]
    year = max(r.year for r, _ in chosen)
    word = "公告" if level == m.COUNTY else "公示"
    matters = "、".join(dict.fromkeys(MATTERS.get(r.machine.name, r.machine.label) for r, _ in chosen))
    notice = Notice.objects.create(
        level=level, area=area, title=(title or f"{area.full_name or area.name}{year}年{matters}{word}")[:200],
        start=now, end=now + dt.timedelta(days=days), days=days, created_by=actor, created_at=now,
        rows=[deidentified_row(r, h, h.village) for r, h in chosen], pack_name=pack.name)
    NoticeEntry.objects.bulk_create(NoticeEntry(notice=notice, case=r, state=r.state, row=i)
                                    for i, (r, _) in enumerate(chosen, start=1))
    audit.record(actor=actor, action="notice.create", object_type="notice", object_id=notice.pk, area_code=area.code,
                 after={"level": level, "start": now, "end": notice.end, "cases": [r.pk for r, _ in chosen]})
    until = timezone.localtime(notice.end).strftime("%Y-%m-%d")
    for r, h in chosen:
        _event(h, actor, "notice", f"列入{word}《{notice.title}》（{days} 天，至 {until}）", now, notice=notice.pk,
               case=r.pk)
        outcomes.append(Outcome(r.pk, h.number, h.head_name, True))
    return notice, outcomes


def _notice_in_scope(actor, notice: Notice) -> bool:
    """Staff of the notice's area or above (a village clerk is in scope of their village's notices)."""
    return in_scope(actor, notice.area_id)


@transaction.atomic
def objection_record(*, actor, notice: Notice, cases, content: str, received_at: dt.datetime | None = None,
                     now: dt.datetime | None = None) -> Objection:
    """Record an objection received against a notice; the cases it names are suspended until it is
    resolved (domain.md 7). The objection's text is internal: it never appears on the notice."""
    now = _now(now)
    if not _notice_in_scope(actor, notice):
        raise NotFound()
    if actor.role not in STAFF:
        raise PermissionDenied()
    content = (content or "").strip()
    if not content:
        raise ApplicationError(E.E_REASON_REQUIRED, "请填写异议内容 / the objection's content is required")
    ids = sorted({getattr(x, "pk", x) for x in cases})
    on_notice = set(notice.entries.values_list("case_id", flat=True))
    if not ids or not set(ids) <= on_notice:
        raise ApplicationError(E.E_NOTICE_SCOPE, "异议须指向本公示中的户 / an objection names households on this notice")
    rows = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    obj = Objection.objects.create(notice=notice, content=content[:4000], received_at=received_at or now,
                                   recorded_by=actor)
    obj.cases.set(rows)
    for r in rows:
        if not r.closed and not r.suspended:
            r.suspended = True
            r.version += 1
            r.save(update_fields=["suspended", "version"])
    audit.record(actor=actor, action="objection.record", object_type="notice", object_id=notice.pk,
                 area_code=notice.area_id, after={"objection": obj.pk, "cases": ids})
    for r in rows:
        _event(r.household, actor, "objection", f"《{notice.title}》收到异议，案件暂停办理", now, objection=obj.pk,
               case=r.pk)
    return obj


@transaction.atomic
def objection_resolve(*, actor, objection: Objection, upheld: bool, resolution: str,
                      now: dt.datetime | None = None) -> Objection:
    """Record how an objection was resolved (by whom, when, upheld or not); its cases resume unless
    another unresolved objection still names them. An upheld objection is followed by a rejection:
    case_act refuses to approve the step whose notice it was upheld against (E_OBJECTION_UPHELD)."""
    now = _now(now)
    notice = objection.notice
    if not _notice_in_scope(actor, notice):
        raise NotFound()
    if actor.role not in STAFF:
        raise PermissionDenied()
    resolution = (resolution or "").strip()
    if not resolution:
        raise ApplicationError(E.E_REASON_REQUIRED, "请填写处理意见 / the resolution is required")
    obj = Objection.objects.select_for_update().get(pk=objection.pk)
    if obj.resolved_at is not None:
        raise ApplicationError(E.E_TRANSITION, "该异议已处理 / already resolved")
    rows = list(Case.objects.select_for_update().filter(objections=obj).order_by("pk"))
    obj.resolved_at, obj.resolved_by, obj.upheld, obj.resolution = now, actor, bool(upheld), resolution[:4000]
    obj.save()
    for r in rows:
        still = r.objections.filter(resolved_at__isnull=True).exclude(pk=obj.pk).exists()
        if r.suspended and not still:
            r.suspended = False
            r.version += 1
            r.save(update_fields=["suspended", "version"])
    audit.record(actor=actor, action="objection.resolve", object_type="notice", object_id=notice.pk,
                 area_code=notice.area_id, after={"objection": obj.pk, "upheld": bool(upheld)},
                 reason=resolution[:500])
    verdict = "异议成立" if upheld else "异议不成立"
    for r in rows:
        _event(r.household, actor, "objection", f"《{notice.title}》异议已处理：{verdict}", now, objection=obj.pk,
               case=r.pk)
    objection.resolved_at, objection.upheld = obj.resolved_at, obj.upheld
    return obj


# ---------------------------------------------------------------- batches

@transaction.atomic
def batch_act(*, actor, cases, action: str, opinion: str = "", versions: dict | None = None,
              now: dt.datetime | None = None) -> list[Outcome]:
    """"Approve the selected cases": case_act on each in its own savepoint, so that one refusal
    undoes nothing else; a summary line per case. There are no vote counts in a batch: one set of
    counts is one household's review, so a step that needs votes is skipped, to be taken case by case."""
    out = []
    for pk in sorted({getattr(x, "pk", x) for x in cases}):
        stub = Case.objects.filter(pk=pk).select_related("household").first()
        if stub is None or not in_scope(actor, stub.household.village_id):
            out.append(Outcome(pk, "", "", False, E.E_NOT_FOUND, "未找到 / not found"))
            continue
        try:
            with transaction.atomic():
                case_act(actor=actor, case=stub, action=action, opinion=opinion,
                         expected_version=(versions or {}).get(pk), now=now, batch=True)
        except ApplicationError as exc:
            out.append(_skip(stub, exc))
        else:
            out.append(Outcome(pk, stub.household.number, stub.household.head_name, True))
    return out


PROPOSE_CHUNK = 500  # households per committed transaction in batch_propose_exits


def batch_propose_exits(*, actor, area_code: str, year: int, now: dt.datetime | None = None, progress=None,
                        chunk: int = PROPOSE_CHUNK) -> list[Outcome]:
    """"Propose all households that pass the exit assessment for `year` in this area": the result
    of the latest succeeded households run that assessed each household, else 6.1 computed now
    (policy.services.household_exit). One exit case (拟退出) per passing household, each in its
    own savepoint; the others are listed with the reason.

    Run as a background job (tasks.propose_exits): households are read `chunk` at a time by id and
    each chunk is committed on its own, so a county's thousands of cases neither hold one huge
    transaction nor wait for the last household to show. `progress(done, total, stage)` after each chunk."""
    from fupin.policy.models import AssessmentRun, HouseholdResult
    from fupin.policy.services import household_exit

    area = Area.objects.filter(code=area_code).first()
    if area is None or not in_scope(actor, area.code):
        raise NotFound()
    if actor.role not in m.MACHINES[m.EXIT].openers:
        raise PermissionDenied()
    lo, hi = code_range(area.code, area.level)
    candidates = Household.objects.filter(village_id__gte=lo, village_id__lte=hi, kind=c.HouseholdKind.REGISTERED,
                                          status__in=[c.Status.NOT_EXITED, c.Status.RETURNED])
    total = candidates.count()
    pack = get_pack()
    out: list[Outcome] = []
    last, done = 0, 0
    while True:
        households = list(candidates.filter(pk__gt=last).order_by("pk")[:chunk])
        if not households:
            break
        last = households[-1].pk
        stored: dict[int, tuple[bool, str]] = {}
        results = (HouseholdResult.objects.filter(household_id__in=[h.pk for h in households], year=year,
                                                  run__kind=AssessmentRun.Kind.HOUSEHOLDS,
                                                  run__status=AssessmentRun.Status.SUCCEEDED)
                   .order_by("household_id", "-run_id").values_list("household_id", "passed", "reasons"))
        for hid, passed, reasons in results:
            stored.setdefault(hid, (passed, reasons))
        with transaction.atomic():
            for h in households:
                out.append(_propose_exit(actor, h, year, stored.get(h.pk), pack, household_exit, now))
        done += len(households)
        if progress:
            progress(done, total, "拟退出 / proposing exits")
    return out


def _propose_exit(actor, h: Household, year: int, stored, pack, household_exit, now) -> Outcome:
    if stored is not None:
        passed, reasons = stored
    else:
        try:
            verdict = household_exit(h, year=year, pack=pack)
        except ApplicationError as exc:
            return _skip(h, exc)
        passed, reasons = verdict.passed, ";".join(verdict.reasons)
    if not passed:
        return Outcome(None, h.number, h.head_name, False, "NOT_PASSED",
                       f"未达到退出标准：{reasons} / does not pass the exit assessment")
    try:
        with transaction.atomic():
            case = case_open(actor=actor, household=h, kind=m.EXIT, year=year, opinion=f"{year}年退出评估达标",
                             now=now)
    except ApplicationError as exc:
        return _skip(h, exc)
    return Outcome(case.pk, h.number, h.head_name, True)
