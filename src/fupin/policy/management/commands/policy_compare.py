"""`fupin policy compare A B --year Y [--area CODE] [--all]` — how many households would pass the
exit assessment (domain.md 6.1) under pack A and under pack B, on the same data."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.management.commands._assess import parse_date
from fupin.policy.pack_services import compare_packs
from fupin.policy.packs import resolve


class Command(FupinCommand):
    help = ("比较两个政策包：同一数据下各有多少户可退出 / compare two policy packs: how many households "
            "pass the exit assessment under each")

    def add_arguments(self, parser):
        parser.add_argument("a", help="政策包 A（名称或文件）/ pack A (name or file)")
        parser.add_argument("b", help="政策包 B（名称或文件）/ pack B (name or file)")
        parser.add_argument("--year", type=int, required=True, help="评估年度 / assessment year")
        parser.add_argument("--date", help="评估日期 YYYY-MM-DD / assessment date")
        parser.add_argument("--area", help="区划 / area (12-digit code)")
        parser.add_argument("--all", action="store_true", help="包括已脱贫户 / exited households too")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        a, b = resolve(o["a"]), resolve(o["b"])
        c = compare_packs(actor=cli_actor(o["as_user"]), year=o["year"], a=a, b=b, area=o["area"],
                          day=parse_date(o["date"]), include_exited=o["all"])
        for number, ra, rb in c.examples:
            self.stdout.write(f"{number}\tA: {';'.join(ra) or '可退出'}\tB: {';'.join(rb) or '可退出'}")
        self.stdout.write(f"{c.year} 年 {c.households} 户 households: {a.label} 可退出 {c.pass_a}, {b.label} 可退出 "
                          f"{c.pass_b} (仅 A only {c.only_a}, 仅 B only {c.only_b})")
