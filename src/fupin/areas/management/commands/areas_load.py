from pathlib import Path

from fupin.areas.services import areas_load
from fupin.cli.base import FupinCommand, cli_actor


class Command(FupinCommand):
    help = "导入行政区划（国家统计局格式 code,name,level,parent_code；CSV 或 .csv.gz），幂等 / load NBS divisions, idempotent"

    def add_arguments(self, parser):
        parser.add_argument("file", help="区划文件 / division file (CSV or .csv.gz); 'chenzhou' = the bundled 郴州 cut")
        parser.add_argument("--root", help="只导入该区划及其下级 / only this area and below (12-digit code)")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        from fupin.areas.services import BUNDLED_CHENZHOU

        path = BUNDLED_CHENZHOU if o["file"] == "chenzhou" else Path(o["file"])
        if not path.exists():
            from django.core.management.base import CommandError

            raise CommandError(f"文件不存在 / no such file: {o['file']}", returncode=1)
        r = areas_load(actor=cli_actor(o["as_user"]), path=path, root=o["root"])
        self.stdout.write(f"区划导入完成 / areas loaded: {r['created']} created, {r['updated']} updated, "
                          f"{r['unchanged']} unchanged")
