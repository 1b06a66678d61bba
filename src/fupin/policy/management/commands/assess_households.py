"""`fupin assess households --year Y [--date D] [--area CODE] [--policy FILE] [--all] [--out OUT.csv]` (cli.md)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.management.commands._assess import CsvOut, add_common, pack_of, parse_date
from fupin.policy.rules import per_capita
from fupin.policy.services import assess_households


class Command(FupinCommand):
    help = ("贫困户退出评估（一超过两不愁三保障，domain.md 6.1），结果按年度保存 / household exit assessment "
            "(domain.md 6.1) for every registered household not yet exited; results kept per year")

    def add_arguments(self, parser):
        add_common(parser)
        parser.add_argument("--all", action="store_true", help="包括已脱贫户 / all registered households, exited too")

    def handle(self, *args, **o):
        pack = pack_of(o)
        out = CsvOut(o["out"], ["户编号", "行政区划代码", "人均纯收入", "可退出", "原因"])

        def on_row(r, reasons):
            pc = per_capita(r.facts)
            out.row([r.number, r.village_code, "" if pc is None else f"{pc:.2f}", "否" if reasons else "是",
                     ";".join(reasons)])

        ok = False
        try:
            run = assess_households(actor=cli_actor(o["as_user"]), year=o["year"], pack=pack, area=o["area"],
                                    day=parse_date(o["date"]), include_exited=o["all"],
                                    progress=lambda d, t, s: self.progress(d, t, s),
                                    on_row=on_row if out.w else None)
            ok = True
        finally:
            out.close(ok)
        c = run.counts
        self.stdout.write(f"退出评估 / exit assessment {run.year} ({pack.label}): {c['households']} 户 households, "
                          f"{c['passed']} 可退出 may exit, {c['failed']} 不可退出 may not (批次 run {run.pk})")
