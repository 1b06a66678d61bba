"""`fupin assess counties --year Y [--policy FILE] [--out OUT.csv]` (cli.md, domain.md 6.3)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.area_exit import assess_counties
from fupin.policy.management.commands._assess import CsvOut, add_common, pack_of, parse_date
from fupin.policy.models import CountyResult


def _pct(v) -> str:
    return "" if v is None else f"{v:.2f}"


class Command(FupinCommand):
    help = ("贫困县摘帽评估（综合贫困发生率与抽查核验的错退率、漏评率、群众认可度，domain.md 6.3）/ county exit "
            "assessment (domain.md 6.3): comprehensive incidence and the spot-check figures")

    def add_arguments(self, parser):
        add_common(parser)

    def handle(self, *args, **o):
        pack = pack_of(o)
        out = CsvOut(o["out"], ["行政区划代码", "县名", "综合贫困发生率", "错退率", "漏评率", "群众认可度", "可摘帽",
                                "原因"])
        ok = False
        try:
            run = assess_counties(actor=cli_actor(o["as_user"]), year=o["year"], pack=pack, area=o["area"],
                                  day=parse_date(o["date"]), progress=lambda d, t, s: self.progress(d, t, s))
            for r in CountyResult.objects.filter(run=run).select_related("county").order_by("county_id"):
                out.row([r.county_id, r.county.name, _pct(r.incidence), _pct(r.wrongful_exit_rate),
                         _pct(r.missed_rate), _pct(r.approval_rate), "是" if r.passed else "否", r.reasons])
            ok = True
        finally:
            out.close(ok)
        c = run.counts
        self.stdout.write(f"贫困县摘帽评估 / county exit {run.year} ({pack.label}): {c['counties']} 县 counties, "
                          f"{c['passed']} 可摘帽 may exit, {c['failed']} 不可摘帽 may not (批次 run {run.pk})")
