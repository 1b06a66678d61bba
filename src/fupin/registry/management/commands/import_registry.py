"""`fupin import registry FILE.xlsx | --households F --members F [--dry-run] [--errors OUT] [--as USERNAME]`
(cli.md; exchange-format.md "Import semantics")."""

import sys
from pathlib import Path

from django.core.management.base import CommandError

from fupin.cli.base import FupinCommand, cli_actor
from fupin.registry.importer import import_registry


class Command(FupinCommand):
    help = ("导入建档立卡数据（交换格式：含“户”“人”两表的 .xlsx，或两个 UTF-8 CSV），全部成功或全部不变 / "
            "import the registry from the exchange format, all or nothing")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="含“户”“人”两个工作表的 .xlsx / workbook with sheets 户 and 人")
        parser.add_argument("--households", help="“户”表（CSV 或 xlsx）/ the households table")
        parser.add_argument("--members", help="“人”表（CSV 或 xlsx）/ the members table")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入 / validate only, write nothing")
        parser.add_argument("--errors", help="错误报告文件（.csv 或 .xlsx），默认为 <文件名>-errors.csv / error report "
                                             "(.csv or .xlsx); default <input>-errors.csv")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        usage = "用法 / usage: fupin import registry FILE.xlsx | --households F --members F"
        if o["file"] and (o["households"] or o["members"]):
            raise CommandError(f"工作簿与 --households/--members 只能选一种 / give one or the other. {usage}",
                               returncode=2)
        if not o["file"] and not (o["households"] and o["members"]):
            raise CommandError(f"缺少输入文件 / no input file. {usage}", returncode=2)
        actor = cli_actor(o["as_user"])
        paths = ({"xlsx": Path(o["file"])} if o["file"] else
                 {"households": Path(o["households"]), "members": Path(o["members"])})
        job = None
        if not o["dry_run"]:
            # A job row gives the audit trail an import id to group this run's changes by.
            from fupin.jobs.services import job_create, job_start

            job = job_create(actor=actor, kind="registry_import",
                             params={k: str(p) for k, p in paths.items()} | {"dry_run": False, "source": "cli"})
            job_start(job)
        try:
            result = import_registry(actor=actor, dry_run=o["dry_run"], job=job,
                                     progress=lambda done, total, stage: self.progress(done, total, stage), **paths)
        except Exception as exc:
            if job is not None:
                from fupin.jobs.services import job_finish

                job_finish(job, error=str(exc)[:1000])
            raise
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        for w in result.warnings:
            self.stderr.write(f"提示 / warning: {w}")
        if job is not None:
            from fupin.jobs.services import job_finish

            job_finish(job, result=result.as_dict(), error=result.summary() if result.errors else "")
        if result.errors:
            first = Path(o["file"] or o["households"])
            out = Path(o["errors"]) if o["errors"] else first.with_name(first.stem + "-errors.csv")
            self.fail_with_errors(result.errors, result.summary(), report=out)
        self.stdout.write(result.summary())
