"""`fupin assess villages --year Y [--date D] [--area CODE] [--policy FILE] [--out OUT.csv]` (cli.md, domain.md 6.2)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.area_exit import assess_villages
from fupin.policy.management.commands._assess import CsvOut, add_common, pack_of, parse_date
from fupin.policy.models import VillageResult


class Command(FupinCommand):
    help = ("贫困村退出评估（贫困发生率与退出指标，domain.md 6.2），结果按年度保存 / village exit assessment "
            "(domain.md 6.2) for every village with a registered household or attributes for the year")

    def add_arguments(self, parser):
        add_common(parser)

    def handle(self, *args, **o):
        pack = pack_of(o)
        out = CsvOut(o["out"], ["行政区划代码", "村名", "未脱贫人口", "农业户籍人口", "贫困发生率", "可退出", "原因"])
        ok = False
        try:
            run = assess_villages(actor=cli_actor(o["as_user"]), year=o["year"], pack=pack, area=o["area"],
                                  day=parse_date(o["date"]), progress=lambda d, t, s: self.progress(d, t, s))
            if out.w:
                for r in (VillageResult.objects.filter(run=run).select_related("village").order_by("village_id")
                          .iterator(chunk_size=5000)):
                    out.row([r.village_id, r.village.name, r.poor_people,
                             "" if r.rural_population is None else r.rural_population,
                             "" if r.incidence is None else f"{r.incidence:.2f}", "是" if r.passed else "否",
                             r.reasons])
            ok = True
        finally:
            out.close(ok)
        c = run.counts
        self.stdout.write(f"贫困村退出评估 / village exit {run.year} ({pack.label}): {c['villages']} 村 villages, "
                          f"{c['passed']} 可退出 may exit, {c['failed']} 不可退出 may not, {c['no_village_data']} "
                          f"无人口数据 no population data (批次 run {run.pk})")
