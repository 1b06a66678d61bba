from pathlib import Path

from django.core.management.base import CommandError

from fupin.areas.attributes import village_attributes_load
from fupin.cli.base import FupinCommand, cli_actor


class Command(FupinCommand):
    help = ("导入村年度属性（行政区划代码, 农业户籍人口, 退出指标各列）/ load yearly village attributes "
            "(all or nothing; errors listed with row and column)")

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV")
        parser.add_argument("--year", type=int, required=True, help="年度 / year")
        parser.add_argument("--dry-run", action="store_true", help="只校验不写入 / validate only")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        path = Path(o["file"])
        if not path.exists():
            raise CommandError(f"文件不存在 / no such file: {path}", returncode=1)
        r = village_attributes_load(actor=cli_actor(o["as_user"]), path=path, year=o["year"], dry_run=o["dry_run"])
        for w in r.warnings:
            self.stderr.write(f"警告 / warning: {w}")
        if not r.ok:
            self.fail_with_errors(r.errors, f"文件有 {len(r.errors)} 处错误，未写入任何数据 / {len(r.errors)} errors, "
                                            "nothing written")
        verb = "校验通过（未写入）/ valid (dry run)" if o["dry_run"] else "村属性导入完成 / attributes loaded"
        self.stdout.write(f"{verb}: {r.created} created, {r.changed} changed, {r.unchanged} unchanged")
