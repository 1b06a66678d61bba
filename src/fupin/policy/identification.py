"""New identification (新识别, domain.md 6.4): which ordinary rural households (一般农户) qualify.

A household qualifies in year Y when its per-capita net income for income year Y is at most
the line of Y (equal qualifies) and no member 在户 on the assessment date is an exclusion on a
current cross-check list (public servant, vehicle, urban commercial property, a business in
operation — fupin.crosscheck). The rule itself is rules.identification_reasons; this module only
gathers its inputs, one way for one household (ORM) and one way in bulk (iter_bulk_facts plus
one exclusion look-up per batch), like the exit assessment.

Nothing is stored: the verdict is computed when asked (the identification procedure, when built,
records the decisions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core import idcard
from fupin.core.errors import ApplicationError
from fupin.core.errors import ErrorCode as E
from fupin.crosscheck.models import ListKind
from fupin.crosscheck.selectors import household_exclusions, list_entries_for, masked_columns
from fupin.policy import rules
from fupin.policy.facts import BulkRow, household_facts, iter_bulk_facts
from fupin.policy.packs import Pack
from fupin.policy.services import area_for, assessment_date
from fupin.registry.choices import HouseholdKind

ORDINARY = HouseholdKind.ORDINARY.value

# What each reason code of 6.4 means, for pages (the CSV and the API carry the codes).
REASON_LABELS = {
    "INCOME": _("人均纯收入高于当年贫困线"),
    "NO_INCOME_DATA": _("没有该年度收入记录，无法判断"),
    rules.NO_MEMBER: _("没有在户成员，无法判断"),
}


def reason_label(code: str) -> str:
    if code.startswith("EXCLUDED_") and code[9:] in ListKind.values:
        return gettext("有成员在比对名单上：%(list)s") % {"list": ListKind(code[9:]).label}
    return str(REASON_LABELS.get(code, code))


@dataclass(frozen=True)
class ListMatch:
    """A member 在户 on the assessment date found on a current list."""

    member_name: str
    id_masked: str
    kind: str
    kind_label: str
    row: int
    columns: dict           # the list's own columns, ID-like values masked
    excludes: bool          # False: a business entry that is not in operation (shown, not counted)


@dataclass(frozen=True)
class IdentificationVerdict:
    year: int
    day: dt.date
    pack: Pack
    facts: rules.HouseholdFacts
    reasons: tuple[str, ...]
    matches: tuple[ListMatch, ...] = field(default=())

    @property
    def qualifies(self) -> bool:
        return not self.reasons

    @property
    def per_capita(self) -> Decimal | None:
        return rules.per_capita(self.facts)

    @property
    def line(self) -> Decimal:
        return self.pack.line(self.year)


def identification_check(household, *, year: int, pack: Pack, day: dt.date | None = None) -> IdentificationVerdict:
    """6.4 for one ordinary rural household (its page). The caller has checked access."""
    if household.kind != ORDINARY:
        raise ApplicationError(E.E_INVALID, "该户已是建档立卡户，不适用新识别 / already a registered household; "
                                            "identification applies to ordinary rural households")
    day = assessment_date(year, day)
    pack.line(year)
    facts = household_facts(household, day=day, pack=pack, income_years=(year,))
    present = [m for m in household.members.all() if rules.present_on(m.state, m.state_date, day)]
    entries = list_entries_for(m.id_number for m in present)
    matches = []
    for m in sorted(present, key=lambda m: m.pk):
        for e in entries.get(m.id_number, ()):
            matches.append(ListMatch(m.name, idcard.mask(m.id_number), e.kind, ListKind(e.kind).label, e.row,
                                     masked_columns(e.data), e.excludes))
    kinds = {x.kind for x in matches if x.excludes}
    return IdentificationVerdict(year, day, pack, facts, rules.identification_reasons(facts, pack, year, kinds),
                                 tuple(matches))


@dataclass(frozen=True)
class Candidate:
    household_id: int
    number: str
    village_code: str
    per_capita: Decimal | None
    present: int


@dataclass
class IdentificationResult:
    year: int
    day: dt.date
    area_code: str
    households: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def qualifying(self) -> int:
        return len(self.candidates)

    @property
    def people(self) -> int:
        return sum(c.present for c in self.candidates)


def identification_candidates(*, actor, year: int, pack: Pack, area: str | None = None, day: dt.date | None = None,
                              on_row: Callable[[BulkRow, tuple[str, ...]], None] | None = None
                              ) -> IdentificationResult:
    """6.4 for every ordinary rural household in `area` (the actor's first area when not given;
    an area outside the actor's scope: NotFound). Returns the qualifying households and counts;
    `on_row(row, reasons)` sees every household (the CLI writes them all)."""
    day = assessment_date(year, day)
    pack.line(year)  # a year the pack lacks fails before any work
    area_obj = area_for(actor, area)
    res = IdentificationResult(year, day, area_obj.code)
    reasons_of = rules.identification_reasons
    for batch in iter_bulk_facts(area=area_obj, day=day, pack=pack, kinds=(ORDINARY,), statuses=None,
                                 income_years=(year,)):
        excluded = household_exclusions(batch[0].household_id, batch[-1].household_id, day=day)
        for r in batch:
            reasons = reasons_of(r.facts, pack, year, excluded.get(r.household_id, ()))
            res.households += 1
            if reasons:
                for code in reasons:
                    res.by_reason[code] = res.by_reason.get(code, 0) + 1
            else:
                res.candidates.append(Candidate(r.household_id, r.number, r.village_code, rules.per_capita(r.facts),
                                                r.facts.members.present))
            if on_row is not None:
                on_row(r, reasons)
    return res
