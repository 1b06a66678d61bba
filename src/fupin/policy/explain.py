"""The household page's 为什么不能退出: each criterion of domain.md 6.1 with the figure behind it.

Whether a criterion holds is read from the verdict's reasons (the one rule, rules.exit_reasons);
this module only lays out the figures for a person to read.
"""

from fupin.policy import rules


def _yuan(x) -> str:
    return f"{x:,.2f}"


def exit_explanation(v) -> list[dict]:
    """Rows of (code, criterion, figure, ok) in the order of domain.md 6.1's table."""
    f, p, y = v.facts, v.pack, v.year
    line = v.pack.line(y)
    m = f.members
    pc = rules.per_capita(f)
    failed = set(v.reasons)
    rows = []
    if "NO_MEMBER" in failed:
        return [{"code": "NO_MEMBER", "criterion": "在户成员", "figure": "评估日无在户成员", "ok": False}]
    if f.net_fen is None:
        income = f"无 {y} 年收入记录"
    else:
        cmp = ">" if "INCOME" not in failed else ("=" if f.net_fen == line * 100 * m.present else "<")
        income = f"人均纯收入 {_yuan(pc)} {cmp} {_yuan(line)}（{m.present} 人在户）"
    rows.append({"code": "INCOME", "criterion": "一超过：人均纯收入超过贫困线", "figure": income,
                 "ok": f.net_fen is not None and "INCOME" not in failed})
    rows.append({"code": "FOOD", "criterion": "不愁吃", "figure": "是" if f.food_ok else "否", "ok": "FOOD" not in failed})
    rows.append({"code": "CLOTHING", "criterion": "不愁穿", "figure": "是" if f.clothing_ok else "否",
                 "ok": "CLOTHING" not in failed})
    rows.append({"code": "EDUCATION", "criterion": f"义务教育有保障（{p.edu_min_age}–{p.edu_max_age} 周岁）",
                 "figure": f"{m.edu_fail} 名适龄成员为非在校生" if m.edu_fail else "无失学辍学",
                 "ok": "EDUCATION" not in failed})
    rows.append({"code": "MEDICAL", "criterion": "基本医疗有保障（现役军人除外）",
                 "figure": f"{m.medical_fail} 名在户成员未参加基本医疗保险" if m.medical_fail else "全部参保",
                 "ok": "MEDICAL" not in failed})
    housing = f"住房安全等级 {f.housing_grade}"
    if f.renovated:
        housing += "，已完成危房改造"
    if f.relocated:
        housing += "，易地扶贫搬迁已入住"
    rows.append({"code": "HOUSING", "criterion": "住房安全有保障", "figure": housing, "ok": "HOUSING" not in failed})
    if p.water_applies(y):
        rows.append({"code": "WATER", "criterion": "饮水安全有保障", "figure": "是" if f.safe_water else "否",
                     "ok": "WATER" not in failed})
    else:
        rows.append({"code": "WATER", "criterion": "饮水安全有保障",
                     "figure": f"{y} 年不作为退出指标（自 {p.water_from or '—'} 年起）", "ok": None})
    return rows
