"""The four procedures of domain.md section 7 as explicit tables (pure data, no database).

Each procedure is a table (state, action) -> (next state, role that may act). A state is the
step the case is waiting at; the role is the level whose office takes that step (domain.md
section 1: village = 村两委/驻村工作队, township = 乡镇, county = 县扶贫办). Every step but
"监测对象" may be rejected with a reason by the same level. STEP_RULES adds what a step needs:
vote counts (民主评议 / 村评议) or a public notice of a level that has run its full length.

"县审定公告" (exit) and "县审批 → 公告" (identification) are two county steps here: the county
decides, then the decision is announced on a county notice (公告) that must run its length.
"""

from dataclasses import dataclass

VILLAGE, TOWNSHIP, COUNTY = "village", "township", "county"
APPROVE, REJECT = "approve", "reject"
OPEN = "open"
# a monitoring case closed by the system when another procedure's outcome ends it (返贫, 清退, 纳入, 销户):
# no one takes this step, so it is in no table
CLOSE, SUPERSEDED = "close", "superseded"

# procedure kinds
IDENTIFICATION, EXIT, ADJUSTMENT, MONITORING = "identification", "exit", "adjustment", "monitoring"
KIND_LABELS = {IDENTIFICATION: "识别", EXIT: "退出", ADJUSTMENT: "动态调整", MONITORING: "防返贫监测"}
# dynamic adjustment sub-kinds (domain.md 7)
NEW_IDENTIFICATION, RETURN, NATURAL_DECREASE, REMOVAL = "new_identification", "return", "natural_decrease", "removal"
ADJUSTMENT_LABELS = {NEW_IDENTIFICATION: "新识别", RETURN: "返贫", NATURAL_DECREASE: "自然减少", REMOVAL: "清退"}

# risk elimination methods (domain.md 7, monitoring)
ELIMINATION_METHODS = ["帮扶后消除", "自然消除"]

STATE_LABELS = {
    "village_review": "村民主评议",
    "village_notice": "村公示",
    "township_review": "乡镇审核",
    "township_notice": "乡镇公示",
    "county_approval": "县审批",
    "county_decision": "县审定",
    "announcement": "县公告",
    "verification": "入户核实",
    "consent": "户签字认可",
    "monitored": "监测对象（帮扶中）",
    "elimination_township": "风险消除乡镇审核",
    "elimination_county": "风险消除县审定",
    # terminal
    "registered": "已纳入",
    "exited": "已脱贫",
    "returned": "已返贫",
    "decreased": "已自然减少",
    "removed": "已清退",
    "eliminated": "风险已消除",
    "rejected": "已驳回",
    SUPERSEDED: "因其他程序办结",
}
ROLE_LABELS = {VILLAGE: "村", TOWNSHIP: "乡镇", COUNTY: "县"}
ACTION_LABELS = {OPEN: "发起", APPROVE: "通过", REJECT: "驳回", CLOSE: "办结"}


@dataclass(frozen=True)
class StepRule:
    votes: bool = False  # vote counts 同意/反对/弃权 required to pass
    notice: str = ""  # level of the public notice that must have run its length to pass
    method: bool = False  # risk elimination method (帮扶后消除/自然消除) required to pass
    min_months: bool = False  # the pack's months as a monitored household, checked to pass


def _review_chain(first: str, terminal: str) -> dict:
    """申请 → 村民主评议 → 村公示 → 乡镇审核 → 乡镇公示 → 县审批 → 公告 → terminal."""
    return {
        ("village_review", APPROVE): ("village_notice", VILLAGE),
        ("village_review", REJECT): ("rejected", VILLAGE),
        ("village_notice", APPROVE): ("township_review", VILLAGE),
        ("village_notice", REJECT): ("rejected", VILLAGE),
        ("township_review", APPROVE): ("township_notice", TOWNSHIP),
        ("township_review", REJECT): ("rejected", TOWNSHIP),
        ("township_notice", APPROVE): ("county_approval", TOWNSHIP),
        ("township_notice", REJECT): ("rejected", TOWNSHIP),
        ("county_approval", APPROVE): ("announcement", COUNTY),
        ("county_approval", REJECT): ("rejected", COUNTY),
        ("announcement", APPROVE): (terminal, COUNTY),
        ("announcement", REJECT): ("rejected", COUNTY),
    }


# Identification (and the yearly 新识别 / 返贫): 申请 → 村民主评议 → 村公示 → 乡镇审核 → 乡镇公示 → 县审批 → 公告 → 纳入
IDENTIFICATION_TABLE = _review_chain("village_review", "registered")

# Exit: 拟退出 → 入户核实 → 户签字认可 → 村公示 → 乡镇审核 → 县审定 → 公告 → 已脱贫
EXIT_TABLE = {
    ("verification", APPROVE): ("consent", VILLAGE),
    ("verification", REJECT): ("rejected", VILLAGE),
    ("consent", APPROVE): ("village_notice", VILLAGE),
    ("consent", REJECT): ("rejected", VILLAGE),
    ("village_notice", APPROVE): ("township_review", VILLAGE),
    ("village_notice", REJECT): ("rejected", VILLAGE),
    ("township_review", APPROVE): ("county_decision", TOWNSHIP),
    ("township_review", REJECT): ("rejected", TOWNSHIP),
    ("county_decision", APPROVE): ("announcement", COUNTY),
    ("county_decision", REJECT): ("rejected", COUNTY),
    ("announcement", APPROVE): ("exited", COUNTY),
    ("announcement", REJECT): ("rejected", COUNTY),
}

# 返贫: the two reviews and two notices of identification, ending 返贫.
RETURN_TABLE = _review_chain("village_review", "returned")

# 自然减少 (members died or moved out): 入户核实 → 乡镇审核 → 县审批 → 自然减少
NATURAL_DECREASE_TABLE = {
    ("verification", APPROVE): ("township_review", VILLAGE),
    ("verification", REJECT): ("rejected", VILLAGE),
    ("township_review", APPROVE): ("county_approval", TOWNSHIP),
    ("township_review", REJECT): ("rejected", TOWNSHIP),
    ("county_approval", APPROVE): ("decreased", COUNTY),
    ("county_approval", REJECT): ("rejected", COUNTY),
}

# 清退 (wrongful inclusion, the cross-check finding as evidence): 入户核实 → 村公示 → 乡镇审核 → 县审批 → 公告 → 清退
REMOVAL_TABLE = {
    ("verification", APPROVE): ("village_notice", VILLAGE),
    ("verification", REJECT): ("rejected", VILLAGE),
    ("village_notice", APPROVE): ("township_review", VILLAGE),
    ("village_notice", REJECT): ("rejected", VILLAGE),
    ("township_review", APPROVE): ("county_approval", TOWNSHIP),
    ("township_review", REJECT): ("rejected", TOWNSHIP),
    ("county_approval", APPROVE): ("announcement", COUNTY),
    ("county_approval", REJECT): ("rejected", COUNTY),
    ("announcement", APPROVE): ("removed", COUNTY),
    ("announcement", REJECT): ("rejected", COUNTY),
}

# Monitoring: flagged → 入户核实 → 村评议公示 → 乡镇审核 → 县审定 → 监测对象 → (assistance) →
# 风险消除 proposed by the village → 乡镇审核 → 县审定 → 风险消除. A rejected elimination
# leaves the household monitored.
MONITORING_TABLE = {
    ("verification", APPROVE): ("village_notice", VILLAGE),
    ("verification", REJECT): ("rejected", VILLAGE),
    ("village_notice", APPROVE): ("township_review", VILLAGE),
    ("village_notice", REJECT): ("rejected", VILLAGE),
    ("township_review", APPROVE): ("county_decision", TOWNSHIP),
    ("township_review", REJECT): ("rejected", TOWNSHIP),
    ("county_decision", APPROVE): ("monitored", COUNTY),
    ("county_decision", REJECT): ("rejected", COUNTY),
    ("monitored", APPROVE): ("elimination_township", VILLAGE),
    ("elimination_township", APPROVE): ("elimination_county", TOWNSHIP),
    ("elimination_township", REJECT): ("monitored", TOWNSHIP),
    ("elimination_county", APPROVE): ("eliminated", COUNTY),
    ("elimination_county", REJECT): ("monitored", COUNTY),
}

# What passing a step needs, per procedure (absent: nothing beyond role, scope and maker-checker).
_REVIEW_RULES = {"village_review": StepRule(votes=True), "village_notice": StepRule(notice=VILLAGE),
                 "township_notice": StepRule(notice=TOWNSHIP), "announcement": StepRule(notice=COUNTY)}
STEP_RULES = {
    IDENTIFICATION: _REVIEW_RULES,
    f"{ADJUSTMENT}:{NEW_IDENTIFICATION}": _REVIEW_RULES,
    f"{ADJUSTMENT}:{RETURN}": _REVIEW_RULES,
    EXIT: {"village_notice": StepRule(notice=VILLAGE), "announcement": StepRule(notice=COUNTY)},
    f"{ADJUSTMENT}:{NATURAL_DECREASE}": {},
    f"{ADJUSTMENT}:{REMOVAL}": {"village_notice": StepRule(notice=VILLAGE), "announcement": StepRule(notice=COUNTY)},
    MONITORING: {"village_notice": StepRule(votes=True, notice=VILLAGE), "monitored": StepRule(method=True),
                 "elimination_county": StepRule(min_months=True)},
}


@dataclass(frozen=True)
class Machine:
    name: str
    label: str
    table: dict  # (state, action) -> (next state, role)
    start: str  # the state a newly opened case waits at
    openers: frozenset  # roles that may open a case
    open_label: str  # what opening is called (申请, 拟退出, ...)
    closed_by_system: frozenset = frozenset()  # terminal states only the system reaches (no table entry)

    @property
    def states(self) -> set[str]:
        return {s for s, _ in self.table} | {n for n, _ in self.table.values()} | set(self.closed_by_system)

    @property
    def terminal(self) -> set[str]:
        return self.states - {s for s, _ in self.table}

    def rule(self, state: str) -> StepRule:
        return STEP_RULES[self.name].get(state, StepRule())

    def role_at(self, state: str) -> str | None:
        """The role that takes the step a case waits at (None for a closed case)."""
        for (s, _), (_, role) in self.table.items():
            if s == state:
                return role
        return None

    def actions(self, state: str) -> list[str]:
        return [a for (s, a) in self.table if s == state]


_ALL = frozenset({VILLAGE, TOWNSHIP, COUNTY})
MACHINES = {
    IDENTIFICATION: Machine(IDENTIFICATION, "识别", IDENTIFICATION_TABLE, "village_review", frozenset({VILLAGE}), "申请"),
    EXIT: Machine(EXIT, "退出", EXIT_TABLE, "verification", _ALL, "拟退出"),
    f"{ADJUSTMENT}:{NEW_IDENTIFICATION}": Machine(f"{ADJUSTMENT}:{NEW_IDENTIFICATION}", "动态调整·新识别",
                                                  IDENTIFICATION_TABLE, "village_review", frozenset({VILLAGE}), "申请"),
    f"{ADJUSTMENT}:{RETURN}": Machine(f"{ADJUSTMENT}:{RETURN}", "动态调整·返贫", RETURN_TABLE, "village_review",
                                      frozenset({VILLAGE}), "申请"),
    f"{ADJUSTMENT}:{NATURAL_DECREASE}": Machine(f"{ADJUSTMENT}:{NATURAL_DECREASE}", "动态调整·自然减少",
                                                NATURAL_DECREASE_TABLE, "verification", _ALL, "提出"),
    f"{ADJUSTMENT}:{REMOVAL}": Machine(f"{ADJUSTMENT}:{REMOVAL}", "动态调整·清退", REMOVAL_TABLE, "verification", _ALL,
                                       "提出（比对发现）"),
    MONITORING: Machine(MONITORING, "防返贫监测", MONITORING_TABLE, "verification", _ALL, "预警纳入",
                        frozenset({SUPERSEDED})),
}


def machine_name(kind: str, sub: str = "") -> str:
    return f"{kind}:{sub}" if kind == ADJUSTMENT else kind


def machine_for(kind: str, sub: str = "") -> Machine:
    return MACHINES[machine_name(kind, sub)]


def next_step(machine: Machine, state: str, action: str) -> tuple[str, str] | None:
    """(next state, role) or None when the action is not allowed in that state."""
    return machine.table.get((state, action))


def votes_pass(agree: int, against: int, abstain: int) -> bool:
    """A democratic review passes with more than half of the votes cast in favour."""
    return agree * 2 > agree + against + abstain


def months_between(start, end) -> int:
    """Whole calendar months from `start` to `end` (dates or datetimes): 1 Mar → 31 Aug is 5, → 1 Sep is 6."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return months
