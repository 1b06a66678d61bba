"""Loading operator packs and comparing two packs on the same data (domain.md section 5).

A (name, version) pair is immutable once loaded: loading the same file again changes nothing,
loading different content under a version that exists is refused — results name the pack and
version they used, so a version must always mean the same rules.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fupin.core import audit
from fupin.core.errors import ApplicationError
from fupin.core.errors import ErrorCode as E
from fupin.policy import rules
from fupin.policy.facts import iter_bulk_facts
from fupin.policy.models import PolicyPack
from fupin.policy.packs import Pack, load_file
from fupin.policy.services import NOT_EXITED, area_for, assessment_date
from fupin.registry.choices import HouseholdKind


@transaction.atomic
def pack_load(*, actor, path: Path | str) -> tuple[Pack, bool]:
    """Validate and store a pack file. Returns (pack, created)."""
    pack = load_file(path)
    text = Path(path).read_text(encoding="utf-8-sig")
    existing = PolicyPack.objects.filter(name=pack.name, version=pack.version).first()
    if existing is not None:
        if existing.sha256 == pack.sha256:
            return pack, False
        raise ApplicationError(
            E.E_POLICY_PACK, f"政策包 {pack.label} 已存在且内容不同；请改用新的版本号 / policy pack {pack.label} "
            "already exists with different content; give the new rules a new version", key="version")
    row = PolicyPack.objects.create(name=pack.name, version=pack.version, title=pack.title,
                                    format="toml" if Path(path).suffix.lower() == ".toml" else "yaml",
                                    content=text, sha256=pack.sha256, loaded_by=actor)
    audit.record(actor=actor, action="policy.load", object_type="policy.PolicyPack", object_id=row.pk,
                 after={"name": pack.name, "version": pack.version, "sha256": pack.sha256,
                        "file": Path(path).name})
    return pack, True


@dataclass
class Comparison:
    year: int
    a: Pack
    b: Pack
    households: int = 0
    pass_a: int = 0
    pass_b: int = 0
    only_a: int = 0      # pass under A, not under B
    only_b: int = 0      # pass under B, not under A
    examples: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)


def compare_packs(*, actor, year: int, a: Pack, b: Pack, area: str | None = None, day: dt.date | None = None,
                  include_exited: bool = False, examples: int = 20) -> Comparison:
    """How many households would pass 6.1 under pack A and under pack B, on the same facts.

    The facts are read once with A's compulsory-education ages; where B's ages differ the
    members are re-summarised per household from B's ages in a second read."""
    day = assessment_date(year, day)
    a.line(year), b.line(year)
    area_obj = area_for(actor, area)
    statuses = None if include_exited else NOT_EXITED
    kinds = (HouseholdKind.REGISTERED.value,)
    same_ages = (a.edu_min_age, a.edu_max_age) == (b.edu_min_age, b.edu_max_age)
    facts_b = None
    if not same_ages:
        facts_b = {r.household_id: r.facts for batch in iter_bulk_facts(
            area=area_obj, day=day, pack=b, kinds=kinds, statuses=statuses, income_years=(year,)) for r in batch}
    c = Comparison(year, a, b)
    for batch in iter_bulk_facts(area=area_obj, day=day, pack=a, kinds=kinds, statuses=statuses,
                                 income_years=(year,)):
        for r in batch:
            ra = rules.exit_reasons(r.facts, a, year)
            rb = rules.exit_reasons(facts_b[r.household_id] if facts_b else r.facts, b, year)
            c.households += 1
            c.pass_a += not ra
            c.pass_b += not rb
            if not ra and rb:
                c.only_a += 1
            elif ra and not rb:
                c.only_b += 1
            if bool(ra) != bool(rb) and len(c.examples) < examples:
                c.examples.append((r.number, ra, rb))
    return c
