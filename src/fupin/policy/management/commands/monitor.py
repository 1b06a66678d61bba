"""`fupin monitor --date YYYY-MM-DD [--area CODE] [--policy FILE] [--out OUT.csv]` (cli.md, domain.md 6.5)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.management.commands._assess import CsvOut, add_common, pack_of, parse_date
from fupin.policy.services import monitor


class Command(FupinCommand):
    help = ("防返贫动态监测（domain.md 6.5）：已脱贫户和一般农户的监测预警 / return-to-poverty monitoring "
            "(domain.md 6.5) of exited and ordinary rural households")

    def add_arguments(self, parser):
        add_common(parser, year=False, date=False)
        parser.add_argument("--date", required=True, help="监测日期 YYYY-MM-DD / check date")

    def handle(self, *args, **o):
        pack = pack_of(o)
        out = CsvOut(o["out"], ["户编号", "监测类别", "触发原因", "可消除风险"])

        def on_row(r, v):
            if v.flagged or v.can_eliminate:
                out.row([r.number, v.category, ";".join(v.triggers), "是" if v.can_eliminate else "否"])

        ok = False
        try:
            run = monitor(actor=cli_actor(o["as_user"]), day=parse_date(o["date"]), pack=pack, area=o["area"],
                          progress=lambda d, t, s: self.progress(d, t, s), on_row=on_row if out.w else None)
            ok = True
        finally:
            out.close(ok)
        c = run.counts
        cats = ", ".join(f"{k} {v}" for k, v in sorted(c["by_category"].items())) or "—"
        self.stdout.write(f"监测 / monitoring {run.as_of} ({pack.label}): {c['households']} 户 households, "
                          f"{c['flagged']} 纳入预警 flagged ({cats}), {c['eliminable']} 可消除风险 eliminable, "
                          f"{c['no_income_data']} 无收入数据 no income data (批次 run {run.pk})")
