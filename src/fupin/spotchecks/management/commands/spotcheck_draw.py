"""`fupin spotcheck draw --county CODE --year Y --seed S [--share P]` (domain.md 6.3)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.spotchecks.selectors import figures
from fupin.spotchecks.services import draw_sample


class Command(FupinCommand):
    help = ("抽取贫困县摘帽抽查核验样本（按乡镇分层，同一种子得到同一样本）/ draw the county's spot-check sample "
            "(stratified by township; the same seed gives the same sample)")

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="县级行政区划代码 / county code (12 digits)")
        parser.add_argument("--year", type=int, required=True, help="退出年度 / exit year")
        parser.add_argument("--seed", type=int, required=True, help="随机种子（整数）/ seed (an integer)")
        parser.add_argument("--share", help="抽样比例（%%，默认政策包 county_exit.sample_share）/ share in per cent "
                                            "(default: the pack's county_exit.sample_share, 20)")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        spot = draw_sample(actor=cli_actor(o["as_user"]), county=o["county"], year=o["year"], seed=o["seed"],
                           share=o["share"])
        f = figures(spot)
        self.stdout.write(f"抽查样本 / sample {spot.county_id} {spot.year} (种子 seed {spot.seed}, {spot.share}%): "
                          f"{f.exited_total}/{spot.exited_total} 退出户 exited, {f.ordinary_total}/"
                          f"{spot.ordinary_total} 一般农户 ordinary households")
