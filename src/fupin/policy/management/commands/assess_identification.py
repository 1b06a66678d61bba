"""`fupin assess identification --year Y [--date D] [--area CODE] [--policy FILE] [--out OUT.csv]` (docs/cli.md)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.identification import identification_candidates
from fupin.policy.management.commands._assess import CsvOut, add_common, pack_of, parse_date
from fupin.policy.rules import per_capita


class Command(FupinCommand):
    help = ("新识别核查（domain.md 6.4）：一般农户人均纯收入不高于当年标准且无成员在比对名单上 / new identification "
            "(domain.md 6.4) for every ordinary rural household; nothing is stored")

    def add_arguments(self, parser):
        add_common(parser)

    def handle(self, *args, **o):
        pack = pack_of(o)
        out = CsvOut(o["out"], ["户编号", "行政区划代码", "人均纯收入", "符合识别条件", "原因"])

        def on_row(r, reasons):
            pc = per_capita(r.facts)
            out.row([r.number, r.village_code, "" if pc is None else f"{pc:.2f}", "否" if reasons else "是",
                     ";".join(reasons)])

        ok = False
        try:
            res = identification_candidates(actor=cli_actor(o["as_user"]), year=o["year"], pack=pack,
                                            area=o["area"], day=parse_date(o["date"]),
                                            on_row=on_row if out.w else None)
            ok = True
        finally:
            out.close(ok)
        by = ", ".join(f"{k} {v}" for k, v in sorted(res.by_reason.items()))
        self.stdout.write(f"新识别核查 / identification {res.year} ({pack.label}) {res.area_code}: {res.households} 户一般农户 "
                          f"ordinary households, {res.qualifying} 户符合 qualify ({res.people} 人 people)"
                          + (f"; 不符合原因 / reasons: {by}" if by else ""))
