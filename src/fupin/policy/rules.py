"""The assessment rules of domain.md section 6, as pure functions over plain data.

One definition serves both paths: the household page builds `HouseholdFacts` from ORM objects
(`fupin.policy.facts.household_facts`), the bulk run builds the same facts with one SQL query
per area (`fupin.policy.facts.iter_bulk_facts`), and both call the functions here. The member
predicates (`present_on`, `in_age_range`, `education_fails`, `medical_fails`, `has_labour`) are
what the bulk SQL restates; tests/policy/test_agreement.py proves the two agree.

Money is in fen (integer hundredths of a yuan) so that every comparison is exact: "per-capita
net income strictly greater than the line" is `net > line × present`, with no rounding
(domain.md section 3: rounding to 2 decimals is for display only).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fupin.policy.packs import Pack

# Reason codes of 6.1, in the order of the table (the order they are reported in).
EXIT_CODES = ("INCOME", "FOOD", "CLOTHING", "EDUCATION", "MEDICAL", "HOUSING", "WATER", "NO_INCOME_DATA")
# A household with no 在户 member cannot be assessed (domain.md section 3); it gets this code alone.
NO_MEMBER = "NO_MEMBER"
MONITOR_CODES = ("INCOME", "SPENDING", "FOOD", "CLOTHING", "EDUCATION", "MEDICAL", "HOUSING", "WATER", "RISK")
UNSTABLE, EDGE, SUDDEN = "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"

PRESENT = "在户"
OUT_OF_SCHOOL = "非在校生"
LABOUR_ABLE = ("普通劳动力", "技能劳动力")
SAFE_GRADES = ("A", "B")


# --- members --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MemberFacts:
    state: str
    state_date: dt.date | None
    birth_date: dt.date
    school_status: str
    home_schooling: bool
    soldier: bool
    medical_insurance: bool
    labour: str


def present_on(state: str, state_date: dt.date | None, day: dt.date) -> bool:
    """在户 on `day`: state 在户, or 死亡/迁出 with a change date after `day` (exchange-format.md)."""
    return state == PRESENT or (state_date is not None and day < state_date)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th. A person born on
    or before this date has had their `years`-th birthday by `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (domain.md section 5)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def in_age_range(birth: dt.date, day: dt.date, lo: int, hi: int) -> bool:
    return lo <= age_on(birth, day) <= hi


def education_fails(m: MemberFacts, day: dt.date, pack: Pack) -> bool:
    """6.1 EDUCATION: of compulsory-education age, 非在校生, and not 送教上门或免学."""
    return (m.school_status == OUT_OF_SCHOOL and not m.home_schooling
            and in_age_range(m.birth_date, day, pack.edu_min_age, pack.edu_max_age))


def medical_fails(m: MemberFacts) -> bool:
    """6.1 MEDICAL: no basic medical insurance, unless an active soldier."""
    return not m.medical_insurance and not m.soldier


def has_labour(m: MemberFacts) -> bool:
    return m.labour in LABOUR_ABLE


# The facts are plain slotted dataclasses (not frozen: a frozen one costs a setattr call per field
# and the bulk path builds millions of them).
@dataclass(slots=True)
class MemberSummary:
    present: int = 0       # 在户 members on the assessment date
    edu_fail: int = 0      # of them, failing EDUCATION
    medical_fail: int = 0  # of them, failing MEDICAL
    labour: int = 0        # of them, with 普通劳动力 or 技能劳动力


def summarise_members(members: Iterable[MemberFacts], day: dt.date, pack: Pack) -> MemberSummary:
    present = edu = med = lab = 0
    for m in members:
        if not present_on(m.state, m.state_date, day):
            continue
        present += 1
        edu += education_fails(m, day, pack)
        med += medical_fails(m)
        lab += has_labour(m)
    return MemberSummary(present, edu, med, lab)


# --- households -----------------------------------------------------------------------------

@dataclass(slots=True)
class HouseholdFacts:
    """What the household rules read, as of one assessment date and one income year."""

    members: MemberSummary
    food_ok: bool
    clothing_ok: bool
    housing_grade: str
    renovated: bool
    relocated: bool
    safe_water: bool
    net_fen: int | None          # household net income of the income year, in fen; None: no record
    spending_fen: int = 0        # 合规自付医疗支出 + 其他刚性支出 of that year
    risks: tuple[str, ...] = ()  # risk events recorded for that year


def to_fen(x: Decimal | int | str) -> int:
    return int((Decimal(x) * 100).to_integral_value(ROUND_HALF_UP))


def _fen(pack_amount: Decimal) -> Decimal | int:
    v = pack_amount * 100
    return int(v) if v == v.to_integral_value() else v


_line_cache: dict[tuple[str, int], Decimal | int] = {}
_threshold_cache: dict[tuple[str, int], Decimal | int] = {}


def _line_fen(pack: Pack, year: int) -> Decimal | int:
    key = (pack.sha256, year)
    v = _line_cache.get(key)
    if v is None:
        v = _line_cache[key] = _fen(pack.line(year))
    return v


def _threshold_fen(pack: Pack, year: int) -> Decimal | int:
    key = (pack.sha256, year)
    v = _threshold_cache.get(key)
    if v is None:
        v = _threshold_cache[key] = _fen(pack.monitoring_threshold(year))
    return v


def per_capita_fen(net_fen: int, present: int) -> int:
    """net ÷ present in fen, rounded half away from zero (as Decimal's ROUND_HALF_UP), exactly."""
    q, r = divmod(abs(net_fen), present)
    if 2 * r >= present:
        q += 1
    return q if net_fen >= 0 else -q


def per_capita(f: HouseholdFacts) -> Decimal | None:
    """人均纯收入 rounded to 2 decimals for display (domain.md section 3); None without income or members."""
    if f.net_fen is None or f.members.present == 0:
        return None
    return Decimal(per_capita_fen(f.net_fen, f.members.present)).scaleb(-2)


def format_fen(fen: int) -> str:
    """Fen as yuan with 2 decimals ("-12.05"), without going through Decimal."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q}.{r:02d}"


def _conditions(f: HouseholdFacts, pack: Pack, year: int, out: list) -> None:
    """FOOD … WATER of 6.1, appended in table order."""
    if not f.food_ok:
        out.append("FOOD")
    if not f.clothing_ok:
        out.append("CLOTHING")
    if f.members.edu_fail:
        out.append("EDUCATION")
    if f.members.medical_fail:
        out.append("MEDICAL")
    if not (f.housing_grade in SAFE_GRADES or f.renovated or f.relocated):
        out.append("HOUSING")
    if not f.safe_water and pack.water_applies(year):
        out.append("WATER")


def exit_reasons(f: HouseholdFacts, pack: Pack, year: int) -> tuple[str, ...]:
    """domain.md 6.1: the reasons a household may not exit in `year`; empty means it may.

    INCOME holds when per-capita net income is strictly greater than the line of `year`.
    Without an income record the other criteria are still checked and NO_INCOME_DATA is last.
    """
    if f.members.present == 0:
        return (NO_MEMBER,)
    out: list[str] = []
    if f.net_fen is not None and not f.net_fen > _line_fen(pack, year) * f.members.present:
        out.append("INCOME")
    _conditions(f, pack, year, out)
    if f.net_fen is None:
        out.append("NO_INCOME_DATA")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MonitoringVerdict:
    triggers: tuple[str, ...]
    category: str          # "" when not flagged or not categorised
    can_eliminate: bool    # 可消除风险 (only for a household already under monitoring)

    @property
    def flagged(self) -> bool:
        return bool(self.triggers)


def monitoring(f: HouseholdFacts, pack: Pack, check_year: int, *, exited: bool,
               monitored: bool) -> MonitoringVerdict:
    """domain.md 6.5 for one household: triggers in table order, category, risk elimination.

    `exited`: a registered household that has exited (else an ordinary rural household);
    `monitored`: already a monitoring subject (状态 监测对象), the only case where risk
    elimination can be proposed. The facts carry the income record of the check year or, where
    there is none, the year before; with neither, NO_INCOME_DATA is reported and no category.
    """
    if f.members.present == 0:
        return MonitoringVerdict((NO_MEMBER,), "", False)
    out: list[str] = []
    if f.net_fen is not None:
        if f.net_fen < _threshold_fen(pack, check_year) * f.members.present:
            out.append("INCOME")
        # spending > share% of net income, exactly: spending × 100 > share × net
        if f.spending_fen * 100 > pack.spending_share * f.net_fen:
            out.append("SPENDING")
    _conditions(f, pack, check_year, out)
    if any(r in pack.risk_events for r in f.risks):
        out.append("RISK")
    if f.net_fen is None:
        return MonitoringVerdict((*out, "NO_INCOME_DATA"), "", False)
    category = ""
    if out:
        category = UNSTABLE if exited else (EDGE if "INCOME" in out else SUDDEN)
    can_eliminate = monitored and not out and f.members.labour > 0
    return MonitoringVerdict(tuple(out), category, can_eliminate)


def identification_reasons(f: HouseholdFacts, pack: Pack, year: int,
                           exclusions: Iterable[str] = ()) -> tuple[str, ...]:
    """domain.md 6.4: why a non-registered household does not qualify; empty means it does.

    Qualifies when per-capita net income ≤ the line of `year` and no exclusion list names a
    member. `exclusions` are the list kinds that matched (e.g. PUBLIC_SERVANT, VEHICLE).
    """
    if f.members.present == 0:
        return (NO_MEMBER,)
    out: list[str] = []
    if f.net_fen is None:
        out.append("NO_INCOME_DATA")
    elif f.net_fen > _line_fen(pack, year) * f.members.present:
        out.append("INCOME")
    out.extend(f"EXCLUDED_{k}" for k in sorted(set(exclusions)))
    return tuple(out)


# --- villages and counties ------------------------------------------------------------------

def incidence(poor: int, population: int | None) -> Decimal | None:
    """Poverty incidence in per cent, 2 decimals for display."""
    if not population:
        return None
    return (Decimal(poor) * 100 / population).quantize(Decimal("0.01"), ROUND_HALF_UP)


def village_exit_reasons(poor: int, population: int | None, items: dict, pack: Pack) -> tuple[str, ...]:
    """domain.md 6.2. `poor`: 在户 people of the village's registered households whose status is
    未脱贫 or 返贫 on the date; `population`: 农业户籍人口 for the year; `items`: the checklist
    values recorded for the year (bool, or yuan as a decimal string)."""
    if not population or population <= 0:
        return ("NO_VILLAGE_DATA",)
    out: list[str] = []
    if not Decimal(poor) * 100 < pack.village_incidence_below * population:
        out.append("INCIDENCE")
    for item in pack.checklist:
        v = items.get(item.column)
        if item.kind == "bool":
            ok = v is True
        else:
            ok = v is not None and v != "" and Decimal(str(v)) >= item.min
        if not ok:
            out.append(item.code)
    return tuple(out)


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class SpotCheckFigures:
    exited_sampled: int = 0
    exited_wrong: int = 0        # exited households found not to meet 6.1
    others_sampled: int = 0
    others_poor: int = 0         # non-registered households found poor
    surveyed: int = 0
    satisfied: int = 0


def county_exit_reasons(poor: int, population: int, spot: SpotCheckFigures | None, pack: Pack) -> tuple[str, ...]:
    """domain.md 6.3: comprehensive incidence < threshold, 错退率 < threshold, 漏评率 < threshold,
    群众认可度 > threshold. Without population figures: NO_VILLAGE_DATA; without a spot check
    (or a part of it with nobody sampled): NO_SPOT_CHECK in place of the figures it lacks."""
    out: list[str] = []
    if not population:
        out.append("NO_VILLAGE_DATA")
    elif not Decimal(poor) * 100 < pack.county_incidence_below * population:
        out.append("INCIDENCE")
    if spot is None or not spot.exited_sampled or not spot.others_sampled or not spot.surveyed:
        out.append("NO_SPOT_CHECK")
    if spot is not None:
        if spot.exited_sampled and not Decimal(spot.exited_wrong) * 100 < pack.wrongful_exit_below * spot.exited_sampled:
            out.append("WRONGFUL_EXIT")
        if spot.others_sampled and not (Decimal(spot.others_poor) * 100
                                        < pack.missed_identification_below * spot.others_sampled):
            out.append("MISSED_IDENTIFICATION")
        if spot.surveyed and not Decimal(spot.satisfied) * 100 > pack.approval_above * spot.surveyed:
            out.append("APPROVAL")
    return tuple(out)
