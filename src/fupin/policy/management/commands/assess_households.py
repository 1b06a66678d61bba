"""`fupin assess households --year Y [--date D] [--area CODE] [--policy FILE] [--all] [--out OUT.csv]` (cli.md)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.management.commands._assess import add_common, checked_out, pack_of, parse_date
from fupin.policy.services import assess_households, household_results_csv


class Command(FupinCommand):
    help = ("贫困户退出评估（一超过两不愁三保障，domain.md 6.1），结果按年度保存 / household exit assessment "
            "(domain.md 6.1) for every registered household not yet exited; results kept per year")

    def add_arguments(self, parser):
        add_common(parser)
        parser.add_argument("--all", action="store_true", help="包括已脱贫户 / all registered households, exited too")

    def handle(self, *args, **o):
        pack = pack_of(o)
        out = checked_out(o["out"])
        run = assess_households(actor=cli_actor(o["as_user"]), year=o["year"], pack=pack, area=o["area"],
                                day=parse_date(o["date"]), include_exited=o["all"],
                                progress=lambda d, t, s: self.progress(d, t, s))
        if out:
            tmp = out.with_name(out.name + ".part")
            household_results_csv(run, tmp)
            tmp.replace(out)
        c = run.counts
        self.stdout.write(f"退出评估 / exit assessment {run.year} ({pack.label}): {c['households']} 户 households, "
                          f"{c['passed']} 可退出 may exit, {c['failed']} 不可退出 may not (批次 run {run.pk})")
