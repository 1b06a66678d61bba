"""The household page's 为什么不能退出: each criterion of domain.md 6.1 with the figure behind it.

Whether a criterion holds is read from the verdict's reasons (the one rule, rules.exit_reasons);
this module only lays out the figures for a person to read.
"""

from django.utils.translation import gettext as _

from fupin.policy import rules


def _yuan(x) -> str:
    return f"{x:,.2f}"


def _yn(b) -> str:
    return _("是") if b else _("否")


def exit_explanation(v) -> list[dict]:
    """Rows of (code, criterion, figure, ok) in the order of domain.md 6.1's table."""
    f, p, y = v.facts, v.pack, v.year
    line = v.pack.line(y)
    m = f.members
    pc = rules.per_capita(f)
    failed = set(v.reasons)
    rows = []
    if "NO_MEMBER" in failed:
        return [{"code": "NO_MEMBER", "criterion": _("在户成员"), "figure": _("评估日无在户成员"), "ok": False}]
    if f.net_fen is None:
        income = _("无 %(y)s 年收入记录") % {"y": y}
    else:
        cmp = ">" if "INCOME" not in failed else ("=" if f.net_fen == line * 100 * m.present else "<")
        income = _("人均纯收入 %(pc)s %(cmp)s %(line)s（%(n)s 人在户）") % {
            "pc": _yuan(pc), "cmp": cmp, "line": _yuan(line), "n": m.present}
    rows.append({"code": "INCOME", "criterion": _("一超过：人均纯收入超过贫困线"), "figure": income,
                 "ok": f.net_fen is not None and "INCOME" not in failed})
    rows.append({"code": "FOOD", "criterion": _("不愁吃"), "figure": _yn(f.food_ok), "ok": "FOOD" not in failed})
    rows.append({"code": "CLOTHING", "criterion": _("不愁穿"), "figure": _yn(f.clothing_ok),
                 "ok": "CLOTHING" not in failed})
    rows.append({"code": "EDUCATION", "criterion": _("义务教育有保障（%(a)s–%(b)s 周岁）") % {"a": p.edu_min_age, "b": p.edu_max_age},
                 "figure": _("%(n)s 名适龄成员为非在校生") % {"n": m.edu_fail} if m.edu_fail else _("无失学辍学"),
                 "ok": "EDUCATION" not in failed})
    rows.append({"code": "MEDICAL", "criterion": _("基本医疗有保障（现役军人除外）"),
                 "figure": _("%(n)s 名在户成员未参加基本医疗保险") % {"n": m.medical_fail} if m.medical_fail else _("全部参保"),
                 "ok": "MEDICAL" not in failed})
    housing = _("住房安全等级 %(g)s") % {"g": f.housing_grade}
    if f.renovated:
        housing += _("，已完成危房改造")
    if f.relocated:
        housing += _("，易地扶贫搬迁已入住")
    rows.append({"code": "HOUSING", "criterion": _("住房安全有保障"), "figure": housing, "ok": "HOUSING" not in failed})
    if p.water_applies(y):
        rows.append({"code": "WATER", "criterion": _("饮水安全有保障"), "figure": _yn(f.safe_water),
                     "ok": "WATER" not in failed})
    else:
        rows.append({"code": "WATER", "criterion": _("饮水安全有保障"),
                     "figure": _("%(y)s 年不作为退出指标（自 %(f)s 年起）") % {"y": y, "f": p.water_from or "—"}, "ok": None})
    return rows
