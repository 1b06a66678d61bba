"""`fupin spotcheck import FILE.csv [--dry-run]`: the team's results (docs/cli.md)."""

from pathlib import Path

from django.core.management.base import CommandError

from fupin.cli.base import FupinCommand, cli_actor
from fupin.spotchecks.services import import_results


class Command(FupinCommand):
    help = ("导入抽查核验结果（年度, 户编号, 项目, 结果, 备注；全部正确才写入）/ load spot-check results "
            "(all or nothing; errors listed with row and column)")

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV")
        parser.add_argument("--dry-run", action="store_true", help="只校验不写入 / validate only")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        path = Path(o["file"])
        if not path.exists():
            raise CommandError(f"文件不存在 / no such file: {path}", returncode=1)
        r = import_results(actor=cli_actor(o["as_user"]), path=path, dry_run=o["dry_run"])
        if not r.ok:
            self.fail_with_errors(r.errors, f"文件有 {len(r.errors)} 处错误，未写入任何数据 / {len(r.errors)} errors, "
                                            "nothing written")
        verb = "校验通过（未写入）/ valid (dry run)" if o["dry_run"] else "抽查结果导入完成 / results loaded"
        self.stdout.write(f"{verb}: {r.findings} 户核验 findings, {r.surveys} 份满意度调查 survey answers")
