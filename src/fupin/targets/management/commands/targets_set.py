"""`fupin targets set --area CODE --year Y [--villages N] [--people N] [--counties CODE,...]` (docs/cli.md)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.targets.services import target_set


class Command(FupinCommand):
    help = ("设定年度减贫目标（市或县）：贫困村退出个数、脱贫人数、摘帽县 / set a city's or county's yearly targets: "
            "villages to exit, people to exit, counties to exit")

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="市或县的区划代码（12 位，或 6 位如 431000）/ city or county code")
        parser.add_argument("--year", type=int, required=True, help="年度 / year")
        parser.add_argument("--villages", type=int, help="贫困村退出目标（个）/ villages to exit")
        parser.add_argument("--people", type=int, help="脱贫人口目标（人）/ people to exit")
        parser.add_argument("--counties", help="摘帽县代码，逗号分隔；空字符串清空 / county codes to exit, comma-separated "
                                               "(\"\" clears)")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        counties = None if o["counties"] is None else [c for c in o["counties"].replace("，", ",").split(",")]
        t = target_set(actor=cli_actor(o["as_user"]), area=o["area"], year=o["year"], villages=o["villages"],
                       people=o["people"], counties=counties)
        self.stdout.write(f"目标已设定 / target set: {t.area_id} {t.year} — 贫困村 villages {t.villages if t.villages is not None else '—'}, "
                          f"脱贫人口 people {t.people if t.people is not None else '—'}, "
                          f"摘帽县 counties {','.join(t.counties) or '—'}")
