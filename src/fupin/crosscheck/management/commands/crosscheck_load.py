"""`fupin crosscheck load KIND FILE.csv [--errors OUT] [--as USERNAME]` (docs/cli.md)."""

from pathlib import Path

from fupin.cli.base import FupinCommand, cli_actor
from fupin.crosscheck.services import load_list


class Command(FupinCommand):
    help = ("导入比对名单（财政供养人员、车辆、城镇商品房、工商注册），替换同类现行名单，全部成功或全部不变 / "
            "load a cross-check list, replacing the current list of its kind; all or nothing")

    def add_arguments(self, parser):
        parser.add_argument("kind", help="PUBLIC_SERVANT | VEHICLE | PROPERTY | BUSINESS（或中文名 / or the Chinese name）")
        parser.add_argument("file", help="UTF-8 CSV，须有“证件号码”列（工商注册另须“状态”列）/ UTF-8 CSV with 证件号码 "
                                         "(and 状态 for BUSINESS)")
        parser.add_argument("--errors", help="错误报告文件（.csv 或 .xlsx），默认为 <文件名>-errors.csv / error report")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        path = Path(o["file"])
        res = load_list(actor=cli_actor(o["as_user"]), kind=o["kind"], path=path)
        for w in res.warnings:
            self.stderr.write(f"提示 / warning: {w}")
        if res.errors:
            out = Path(o["errors"]) if o["errors"] else path.with_name(path.stem + "-errors.csv")
            self.fail_with_errors(res.errors, res.summary(), report=out)
        self.stdout.write(res.summary())
