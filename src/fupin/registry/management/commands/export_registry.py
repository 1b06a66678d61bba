"""`fupin export registry OUT.xlsx [--area CODE] [--year Y] [--full-ids --reason TEXT] [--as USERNAME]`
(cli.md; exchange-format.md "Export")."""

from pathlib import Path

from django.core.management.base import CommandError

from fupin.cli.base import FupinCommand, cli_actor
from fupin.registry.exporter import export_registry


class Command(FupinCommand):
    help = ("导出建档立卡数据（交换格式 .xlsx），默认对证件号码、电话、银行账号脱敏 / export the registry "
            "(masked unless --full-ids)")

    def add_arguments(self, parser):
        parser.add_argument("out", help="输出文件 .xlsx / output workbook")
        parser.add_argument("--area", help="只导出该区划 / only this area (12-digit code)")
        parser.add_argument("--year", type=int, help="收入年度（默认每户最近一年）/ income year (default: latest)")
        parser.add_argument("--full-ids", action="store_true", help="不脱敏，须有权限并填写理由 / unmasked; needs "
                                                                     "permission and --reason")
        parser.add_argument("--reason", default="", help="完整导出的理由 / reason for a full export")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        out = Path(o["out"])
        if out.suffix.lower() != ".xlsx":
            raise CommandError("输出文件应为 .xlsx / the output must be an .xlsx file", returncode=2)
        if not out.parent.is_dir():
            raise CommandError(f"目录不存在 / no such directory: {out.parent}", returncode=1)
        r = export_registry(actor=cli_actor(o["as_user"]), out=out, area=o["area"], year=o["year"],
                            full_ids=o["full_ids"], reason=o["reason"],
                            progress=lambda done, total, stage: self.progress(done, total, stage))
        kind = "完整导出 / full export" if o["full_ids"] else "脱敏导出 / masked export"
        self.stdout.write(f"{kind}: {r.rows_households} 户 households, {r.rows_members} 人 members -> {out.name} "
                          f"(sha256 {r.sha256[:16]}…)")
