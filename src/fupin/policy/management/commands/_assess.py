"""Arguments and output shared by the `fupin assess …` and `fupin monitor` commands (cli.md)."""

import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError

from fupin.policy.packs import resolve


def add_common(parser, *, year: bool = True, date: bool = True, area: bool = True):
    if year:
        parser.add_argument("--year", type=int, required=True, help="评估年度 / assessment year")
    if date:
        parser.add_argument("--date", help="评估日期 YYYY-MM-DD（默认该年 12 月 31 日）/ assessment date "
                                           "(default 31 December of the year)")
    if area:
        parser.add_argument("--area", help="只评估该区划 / only this area (12-digit code)")
    parser.add_argument("--policy", help="政策包文件或名称（默认内置 hunan）/ policy pack file or name "
                                         "(default: the configured pack, built-in hunan)")
    parser.add_argument("--out", help="结果 CSV 文件 / write the results to this CSV file")
    parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")


def parse_date(s: str | None) -> dt.date | None:
    if not s:
        return None
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise CommandError(f"日期应为 YYYY-MM-DD，而不是 {s} / date must be YYYY-MM-DD", returncode=2) from None


def checked_out(path: str | None) -> Path | None:
    """The --out path, its directory checked before any work is done."""
    if not path:
        return None
    p = Path(path)
    if not p.parent.is_dir():
        raise CommandError(f"目录不存在 / no such directory: {p.parent}", returncode=1)
    return p


def pack_of(o):
    return resolve(o.get("policy"))


class CsvOut:
    """The --out file: UTF-8 with a byte-order mark so that Excel opens the Chinese headers; written
    to a temporary name and renamed at the end, so a failed run leaves no half-written file."""

    def __init__(self, path: str | None, header: list[str]):
        self.path = Path(path) if path else None
        self.fh = self.w = None
        if self.path:
            if not self.path.parent.is_dir():
                raise CommandError(f"目录不存在 / no such directory: {self.path.parent}", returncode=1)
            self.tmp = self.path.with_name(self.path.name + ".part")
            self.fh = open(self.tmp, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by close()
            self.w = csv.writer(self.fh)
            self.w.writerow(header)

    def row(self, values) -> None:
        if self.w:
            self.w.writerow(values)

    def close(self, ok: bool) -> None:
        if self.fh:
            self.fh.close()
            if ok:
                self.tmp.replace(self.path)
            else:
                self.tmp.unlink(missing_ok=True)
