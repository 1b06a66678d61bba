"""Policy packs (domain.md section 5): everything that changes by year or by province, as a
versioned YAML or TOML file the operator can replace. The format is in docs/policy-packs.md.

A pack is validated completely on load: an unknown key, a missing key or a value of the wrong
kind is an error that names the key (`village_exit.checklist[2].kind`), so an operator never
runs an assessment on a pack that silently means something else.
"""

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from fupin.core.errors import ApplicationError
from fupin.core.errors import ErrorCode as E

BUILTIN_DIR = Path(__file__).with_name("packs")
DEFAULT_PACK = "hunan"
CHECK_KINDS = ("bool", "yuan")


class PackError(ApplicationError):
    def __init__(self, key: str, problem: str, source: str = ""):
        where = f"{source}: " if source else ""
        super().__init__(E.E_POLICY_PACK, f"政策包无效 / invalid policy pack: {where}{key}: {problem}",
                         key=key, source=source)
        self.key = key


@dataclass(frozen=True)
class ChecklistItem:
    column: str
    kind: str  # bool: 是 holds; yuan: a number ≥ min holds
    code: str
    min: Decimal | None = None


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    title: str
    poverty_lines: dict[int, Decimal]
    edu_min_age: int
    edu_max_age: int
    water_from: int | None
    notice_days: dict[str, int]
    village_incidence_below: Decimal
    checklist: tuple[ChecklistItem, ...]
    county_incidence_below: Decimal
    wrongful_exit_below: Decimal
    missed_identification_below: Decimal
    approval_above: Decimal
    sample_share: Decimal
    monitoring_thresholds: dict[int, Decimal]
    spending_share: Decimal
    risk_events: tuple[str, ...]
    min_months_before_elimination: int
    sha256: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def line(self, year: int) -> Decimal:
        """The poverty line of `year` (domain.md section 5); a year the pack lacks is an error."""
        try:
            return self.poverty_lines[year]
        except KeyError:
            raise ApplicationError(
                E.E_POLICY_YEAR, f"政策包 {self.label} 没有 {year} 年的贫困线 / policy pack {self.label} has no "
                f"poverty line for {year}", key=f"poverty_lines.{year}") from None

    def monitoring_threshold(self, year: int) -> Decimal:
        try:
            return self.monitoring_thresholds[year]
        except KeyError:
            raise ApplicationError(
                E.E_POLICY_YEAR, f"政策包 {self.label} 没有 {year} 年的监测收入标准 / policy pack {self.label} has "
                f"no monitoring threshold for {year}", key=f"monitoring.income_thresholds.{year}") from None

    def water_applies(self, year: int) -> bool:
        return self.water_from is not None and year >= self.water_from

    @property
    def checklist_columns(self) -> list[tuple[str, str]]:
        return [(i.column, i.kind) for i in self.checklist]


# --- validation ---------------------------------------------------------------------------

class _Reader:
    def __init__(self, data, source: str):
        self.source = source
        if not isinstance(data, dict):
            raise PackError("(文件 / file)", "应为键值表 / must be a mapping of keys", source)
        self.data = data

    def fail(self, key: str, problem: str):
        raise PackError(key, problem, self.source)

    def section(self, d: dict, key: str, allowed: set[str], required: set[str]) -> dict:
        for k in d:
            if k not in allowed:
                self.fail(f"{key}{k}", "未知的键 / unknown key")
        for k in sorted(required):
            if k not in d:
                self.fail(f"{key}{k}", "缺少此键 / missing key")
        return d

    def mapping(self, v, key: str) -> dict:
        if not isinstance(v, dict):
            self.fail(key, "应为键值表 / must be a mapping")
        return v

    def text(self, v, key: str) -> str:
        if not isinstance(v, (str, int, float)) or isinstance(v, bool) or not str(v).strip():
            self.fail(key, "应为非空文字 / must be non-empty text")
        return str(v).strip()

    def number(self, v, key: str, *, lo=0, hi=None, integer=False) -> Decimal:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            self.fail(key, "应为数字 / must be a number")
        try:
            n = Decimal(str(v))
        except InvalidOperation:
            self.fail(key, f"应为数字，而不是 {v!r} / must be a number")
        if not n.is_finite() or n < lo or (hi is not None and n > hi):
            bound = f"{lo}–{hi}" if hi is not None else f"≥ {lo}"
            self.fail(key, f"应在 {bound} 之间 / must be {bound}")
        if integer and n != n.to_integral_value():
            self.fail(key, "应为整数 / must be a whole number")
        return n

    def year(self, k, key: str) -> int:
        try:
            y = int(str(k))
        except ValueError:
            self.fail(key, f"年度应为四位数字，而不是 {k!r} / year must be 4 digits")
        if not 2000 <= y <= 2100:
            self.fail(key, "年度应在 2000–2100 之间 / year must be 2000–2100")
        return y

    def by_year(self, v, key: str, *, required: bool) -> dict[int, Decimal]:
        d = self.mapping(v, key)
        if required and not d:
            self.fail(key, "至少需要一个年度 / at least one year is needed")
        return {self.year(k, f"{key}.{k}"): self.number(x, f"{key}.{k}", lo=1) for k, x in d.items()}


def parse_pack(text: str, *, source: str = "", fmt: str = "yaml") -> Pack:
    """Parse and validate a pack's text. Raises PackError naming the first bad key."""
    try:
        data = tomllib.loads(text) if fmt == "toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise PackError("(文件 / file)", f"无法解析 / cannot be parsed: {exc}".splitlines()[0], source) from None
    r = _Reader(data, source)
    top = r.section(r.data, "", {"name", "version", "title", "poverty_lines", "compulsory_education",
                                 "water_criterion_from", "notice_days", "village_exit", "county_exit",
                                 "monitoring"}, {"name", "version", "poverty_lines"})
    edu = r.section(r.mapping(top.get("compulsory_education", {}), "compulsory_education"),
                    "compulsory_education.", {"min_age", "max_age"}, set())
    min_age = int(r.number(edu.get("min_age", 6), "compulsory_education.min_age", hi=30, integer=True))
    max_age = int(r.number(edu.get("max_age", 15), "compulsory_education.max_age", hi=30, integer=True))
    if max_age < min_age:
        r.fail("compulsory_education.max_age", "不能小于 min_age / must not be below min_age")
    water = top.get("water_criterion_from", 2019)
    water_from = None if water is None else r.year(water, "water_criterion_from")
    nd = r.section(r.mapping(top.get("notice_days", {}), "notice_days"), "notice_days.",
                   {"household", "village", "project"}, set())
    notice_days = {k: int(r.number(nd.get(k, d), f"notice_days.{k}", lo=1, hi=90, integer=True))
                   for k, d in (("household", 7), ("village", 7), ("project", 10))}
    ve = r.section(r.mapping(top.get("village_exit", {}), "village_exit"), "village_exit.",
                   {"incidence_below", "checklist"}, set())
    raw_items = ve.get("checklist")
    if raw_items is None:
        items = _default_checklist()
    else:
        if not isinstance(raw_items, list):
            r.fail("village_exit.checklist", "应为列表 / must be a list")
        items, seen = [], set()
        for i, it in enumerate(raw_items):
            key = f"village_exit.checklist[{i}]"
            it = r.section(r.mapping(it, key), key + ".", {"column", "kind", "code", "min"},
                           {"column", "kind", "code"})
            col, kind, code = r.text(it["column"], key + ".column"), it["kind"], r.text(it["code"], key + ".code")
            if kind not in CHECK_KINDS:
                r.fail(key + ".kind", f"应为 bool 或 yuan，而不是 {kind!r} / must be bool or yuan")
            if col in seen or col == "农业户籍人口":
                r.fail(key + ".column", f"列名重复 / duplicate column {col}")
            seen.add(col)
            if kind == "yuan" and "min" not in it:
                r.fail(key + ".min", "yuan 类指标需要 min / a yuan item needs min")
            mn = r.number(it["min"], key + ".min") if "min" in it else None
            items.append(ChecklistItem(col, kind, code.upper(), mn))
    ce = r.section(r.mapping(top.get("county_exit", {}), "county_exit"), "county_exit.",
                   {"incidence_below", "wrongful_exit_below", "missed_identification_below", "approval_above",
                    "sample_share"}, set())
    pct = {k: r.number(ce.get(k, d), f"county_exit.{k}", hi=100) for k, d in
           (("incidence_below", 2), ("wrongful_exit_below", 2), ("missed_identification_below", 2),
            ("approval_above", 90), ("sample_share", 20))}
    if pct["sample_share"] <= 0:
        r.fail("county_exit.sample_share", "应大于 0 / must be above 0")
    mo = r.section(r.mapping(top.get("monitoring", {}), "monitoring"), "monitoring.",
                   {"income_thresholds", "spending_share", "risk_events", "min_months_before_elimination"}, set())
    risks = mo.get("risk_events", ["大病", "重残", "灾害", "意外事故", "产业失败", "务工不稳", "缺劳动力"])
    if not isinstance(risks, list) or not risks:
        r.fail("monitoring.risk_events", "应为非空列表 / must be a non-empty list")
    pack = Pack(
        name=r.text(top["name"], "name"), version=r.text(top["version"], "version"),
        title=str(top.get("title") or top["name"]),
        poverty_lines=r.by_year(top["poverty_lines"], "poverty_lines", required=True),
        edu_min_age=min_age, edu_max_age=max_age, water_from=water_from, notice_days=notice_days,
        village_incidence_below=r.number(ve.get("incidence_below", 2), "village_exit.incidence_below", hi=100),
        checklist=tuple(items),
        county_incidence_below=pct["incidence_below"], wrongful_exit_below=pct["wrongful_exit_below"],
        missed_identification_below=pct["missed_identification_below"], approval_above=pct["approval_above"],
        sample_share=pct["sample_share"],
        monitoring_thresholds=r.by_year(mo.get("income_thresholds", {2021: 6000}), "monitoring.income_thresholds",
                                        required=False),
        spending_share=r.number(mo.get("spending_share", 50), "monitoring.spending_share", hi=100),
        risk_events=tuple(r.text(x, f"monitoring.risk_events[{i}]") for i, x in enumerate(risks)),
        min_months_before_elimination=int(r.number(mo.get("min_months_before_elimination", 6),
                                                   "monitoring.min_months_before_elimination", hi=60,
                                                   integer=True)),
        sha256=hashlib.sha256(text.encode()).hexdigest(), source=source,
    )
    if not _safe_name(pack.name):
        r.fail("name", "只能包含字母、数字、-、_ / letters, digits, - and _ only")
    return pack


def _safe_name(s: str) -> bool:
    return bool(s) and all(ch.isalnum() or ch in "-_." for ch in s)


def _default_checklist() -> list[ChecklistItem]:
    return [ChecklistItem("通硬化路", "bool", "ROAD"), ChecklistItem("通安全饮水", "bool", "WATER"),
            ChecklistItem("通生活用电", "bool", "POWER"), ChecklistItem("有标准化卫生室", "bool", "CLINIC"),
            ChecklistItem("通宽带", "bool", "BROADBAND"),
            ChecklistItem("村集体经济收入", "yuan", "COLLECTIVE_INCOME", Decimal(50000))]


def load_file(path: Path | str) -> Pack:
    """A pack from a file (`--policy FILE`): .yaml/.yml or .toml."""
    p = Path(path)
    if not p.is_file():
        raise PackError("(文件 / file)", f"文件不存在 / no such file: {p.name}", str(p.name))
    fmt = "toml" if p.suffix.lower() == ".toml" else "yaml"
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise PackError("(文件 / file)", "应为 UTF-8 文本 / must be UTF-8 text", p.name) from None
    return parse_pack(text, source=p.name, fmt=fmt)


_builtin_cache: dict[str, Pack] = {}


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def builtin(name: str) -> Pack:
    if name not in _builtin_cache:
        path = BUILTIN_DIR / f"{name}.yaml"
        if not path.is_file():
            raise ApplicationError(E.E_POLICY_PACK, f"没有名为 {name} 的政策包 / no policy pack named {name}",
                                   key="name")
        _builtin_cache[name] = parse_pack(path.read_text(encoding="utf-8"), source=f"builtin:{name}")
    return _builtin_cache[name]


def get_pack(name: str | None = None) -> Pack:
    """The pack called `name` (default: settings.FUPIN_POLICY_PACK): the latest version an operator
    loaded (`fupin policy load`), else the built-in one."""
    from django.conf import settings

    from fupin.policy.models import PolicyPack

    name = name or settings.FUPIN_POLICY_PACK
    stored = PolicyPack.objects.filter(name=name).order_by("-loaded_at", "-pk").first()
    if stored is not None:
        return parse_pack(stored.content, source=f"db:{name}", fmt=stored.format)
    return builtin(name)


def resolve(policy: str | None) -> Pack:
    """`--policy` of the commands: a file path, a pack name, or None for the default pack."""
    if policy and (Path(policy).suffix.lower() in (".yaml", ".yml", ".toml") or "/" in policy):
        return load_file(policy)
    return get_pack(policy)
