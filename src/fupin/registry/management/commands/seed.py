"""`fupin seed` (cli.md; performance.md "Data sizes"; docs/seed.md)."""

import time
from collections import Counter
from pathlib import Path

from django.core.management.base import CommandError

from fupin.cli.base import FupinCommand, cli_actor
from fupin.registry import seeding


class Command(FupinCommand):
    help = ("在真实行政区划上生成合成的建档立卡数据（写入数据库，或用 --out 写成交换格式文件）/ "
            "synthetic but realistic registry on the real divisions (into the database, or files with --out)")

    def add_arguments(self, parser):
        parser.add_argument("--preset", required=True, choices=sorted(seeding.PRESETS),
                            help="chenzhou 13 万户 / hunan 250 万户 / national 2948 万户")
        parser.add_argument("--households", type=int, help="户数，覆盖预设 / number of households (overrides the preset)")
        parser.add_argument("--seed", type=int, default=0, help="随机种子：同一种子生成相同数据 / same seed, same data")
        parser.add_argument("--year", type=int, default=seeding.DEFAULT_YEAR, choices=seeding.YEARS,
                            help=f"收入年度 / income year (default {seeding.DEFAULT_YEAR})")
        parser.add_argument("--dirty", type=float, default=0.0, metavar="PCT",
                            help="带错误的户所占百分比（仅与 --out 一起使用）/ percent of households given one defect (with --out)")
        parser.add_argument("--out", type=Path, metavar="DIR",
                            help="写出 户.csv 和 人.csv 而不写数据库 / write 户.csv and 人.csv instead of the database")
        parser.add_argument("--xlsx", action="store_true", help="同时写出 registry.xlsx（与 --out 一起）/ also registry.xlsx")
        parser.add_argument("--batch", type=int, default=2000, help="每批户数 / households per bulk insert")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        preset = seeding.PRESETS[o["preset"]]
        n = preset.households if o["households"] is None else o["households"]
        if n < 1:
            raise CommandError("户数必须大于 0 / --households must be at least 1", returncode=2)
        if not 0 <= o["dirty"] <= 100:
            raise CommandError("--dirty 应在 0 到 100 之间 / --dirty must be 0–100", returncode=2)
        if (o["dirty"] or o["xlsx"]) and not o["out"]:
            raise CommandError("--dirty 和 --xlsx 只能与 --out 一起使用（错误数据不能写入数据库）/ "
                               "--dirty and --xlsx need --out (bad rows cannot go into the database)", returncode=2)
        if o["xlsx"] and n * 3.4 > seeding.XLSX_MAX_ROWS:
            raise CommandError(f"{n} 户的成员超出 Excel 单表行数上限，请只用 CSV / {n} households exceed Excel's "
                               "row limit for sheet 人; write CSV only", returncode=1)
        villages = seeding.preset_villages(preset)
        if len(villages) < preset.villages * 0.95:
            how = ("fupin areas load chenzhou" if preset.name == "chenzhou"
                   else "fupin areas load <全国区划文件 / the country division file>")
            raise CommandError(
                f"{preset.label}的村级区划尚未导入（数据库中 {len(villages)} 个，应约 {preset.villages} 个），"
                f"请先运行 `{how}` / the villages of preset {preset.name} are not loaded "
                f"({len(villages)} of about {preset.villages}); run `{how}` first", returncode=1)

        defects: Counter = Counter()
        rows = seeding.generate(villages, n, seed=o["seed"], year=o["year"], dirty=o["dirty"],
                                on_defect=lambda _number, code: defects.__setitem__(code, defects[code] + 1))
        started = time.monotonic()
        label = "生成 / seeding"
        if o["out"]:
            n_hh, n_m = seeding.write_files(rows, o["out"], xlsx=o["xlsx"],
                                            progress=lambda done: self.progress(done, n, label))
            self.progress(n_hh, n, label)
            for code, count in sorted(defects.items()):
                self.stdout.write(f"  {code}: {count} 户 / households — {seeding.DIRTY_KINDS[code]}")
            files = "户.csv、人.csv" + ("、registry.xlsx" if o["xlsx"] else "")
            self.stdout.write(
                f"已写出 {n_hh} 户 {n_m} 人（{files}）到 {o['out']}，其中带错误的户 {sum(defects.values())}，"
                f"用时 {time.monotonic() - started:.1f} 秒 / wrote {n_hh} households, {n_m} members, "
                f"{sum(defects.values())} with a defect")
            return

        from fupin.areas.models import code_range
        from fupin.registry.models import Household

        existing = Household.objects.all()
        if preset.root:
            lo, hi = code_range(preset.root, 1 if preset.root.endswith("0000000000") else 2)
            existing = existing.filter(village_id__gte=lo, village_id__lte=hi)
        held = existing.count()
        if held:
            # Seeding is for an empty registry: merging synthetic households into real or earlier
            # synthetic ones would mix them beyond telling apart (docs/seed.md, "Idempotence").
            raise CommandError(
                f"{preset.label}的登记库中已有 {held} 户，合成数据只写入空库；请使用新的数据库 / the registry already "
                f"holds {held} households in {preset.name}; seed only into an empty registry (a new database)",
                returncode=1)
        actor = cli_actor(o["as_user"])
        n_hh, n_m = seeding.seed_database(
            actor=actor, rows=rows, villages=villages, batch=o["batch"],
            progress=lambda done: self.progress(done, n, label),
            summary={"preset": preset.name, "root": preset.root, "seed": o["seed"], "year": o["year"]})
        _analyze()
        self.stdout.write(f"已写入 {n_hh} 户 {n_m} 人（{preset.label}，种子 {o['seed']}，收入年度 {o['year']}），"
                          f"用时 {time.monotonic() - started:.1f} 秒 / seeded {n_hh} households, {n_m} members")


def _analyze() -> None:
    """Fresh planner statistics after a bulk load: without them PostgreSQL plans the bulk
    assessment queries for empty tables (several times slower until autovacuum catches up)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in ("registry_household", "registry_member", "registry_incomerecord"):
                cur.execute(f"ANALYZE {table}")
