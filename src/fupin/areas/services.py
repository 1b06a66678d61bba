"""Writes to the area tree and yearly village attributes."""

import csv
import gzip
import io
from pathlib import Path

from django.db import transaction

from fupin.areas.models import Area
from fupin.core import audit
from fupin.core.errors import ApplicationError, ErrorCode

BUNDLED_CHENZHOU = Path(__file__).resolve().parent / "data" / "chenzhou-2023.csv"


def _open_text(path: Path):
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8-sig", newline="")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def read_divisions(path: Path, root: str | None = None):
    """Rows (code, name, level, parent_code) of the NBS format, deduplicated.

    Cities without a county level (东莞 441900 …) repeat their code one level deeper
    with itself as parent (shared/data/SOURCES.md): the first (shallowest) row wins.
    With `root`, only that area, its descendants and its ancestors are kept.
    """
    seen: dict[str, tuple] = {}
    try:
        with _open_text(path) as fh:
            reader = csv.DictReader(fh)
            missing = {"code", "name", "level", "parent_code"} - set(reader.fieldnames or [])
            if missing:
                raise ApplicationError(
                    ErrorCode.E_MISSING_COLUMN,
                    f"区划文件缺少列 / division file lacks columns: {', '.join(sorted(missing))}",
                )
            for n, row in enumerate(reader, start=2):
                code = (row["code"] or "").strip()
                try:
                    level = int(row["level"])
                except (TypeError, ValueError):
                    raise ApplicationError(ErrorCode.E_NUMBER, f"第 {n} 行级别无效 / row {n}: bad level") from None
                if len(code) != 12 or not code.isdigit() or level not in (1, 2, 3, 4, 5):
                    raise ApplicationError(
                        ErrorCode.E_INVALID, f"第 {n} 行代码或级别无效 / row {n}: bad code or level: {code}"
                    )
                if code in seen:
                    continue
                parent = (row["parent_code"] or "").strip() or None
                if parent == code:
                    parent = None
                seen[code] = (code, row["name"].strip(), level, parent)
    except (UnicodeDecodeError, gzip.BadGzipFile, csv.Error) as exc:
        raise ApplicationError(ErrorCode.E_FILE_FORMAT, f"区划文件无法读取 / cannot read division file: {exc}") from exc
    rows = list(seen.values())
    if root:
        if root not in seen:
            raise ApplicationError(ErrorCode.E_NOT_FOUND, f"文件中没有区划 {root} / {root} is not in the file")
        r = seen[root]
        from fupin.areas.models import code_range

        lo, hi = code_range(root, r[2])
        keep = {c for c, _, lvl, _ in rows if lo <= c <= hi and lvl >= r[2]}
        p = r[3]
        while p and p in seen:
            keep.add(p)
            p = seen[p][3]
        rows = [x for x in rows if x[0] in keep]
    return rows


def _full_names(rows) -> dict[str, str]:
    by_code = {r[0]: r for r in rows}
    out: dict[str, str] = {}

    def full(code):
        if code in out:
            return out[code]
        c, name, level, parent = by_code[code]
        # Leave the province out of the display name: everyone using one deployment shares it.
        prefix = full(parent) if parent in by_code and by_code[parent][2] > 1 else ""
        out[code] = prefix + name
        return out[code]

    for r in sorted(rows, key=lambda r: r[2]):
        full(r[0])
    return out


@transaction.atomic
def areas_load(*, actor, path: Path, root: str | None = None, batch: int = 5000) -> dict:
    """Idempotent upsert of divisions. Returns counts {created, updated, unchanged}."""
    rows = read_divisions(Path(path), root)
    names = _full_names(rows)
    existing = {a[0]: a[1:] for a in Area.objects.values_list("code", "name", "level", "parent_id", "full_name")}
    create, update = [], []
    unchanged = 0
    for code, name, level, parent in sorted(rows, key=lambda r: (r[2], r[0])):
        values = (name, level, parent, names[code])
        if code not in existing:
            create.append(Area(code=code, name=name, level=level, parent_id=parent, full_name=names[code]))
        elif existing[code] != values:
            update.append(Area(code=code, name=name, level=level, parent_id=parent, full_name=names[code]))
        else:
            unchanged += 1
    known = set(existing) | {a.code for a in create}
    for a in create + update:
        if a.parent_id and a.parent_id not in known:
            a.parent_id = None
    for i in range(0, len(create), batch):
        Area.objects.bulk_create(create[i : i + batch])
    for i in range(0, len(update), batch):
        Area.objects.bulk_update(update[i : i + batch], ["name", "level", "parent", "full_name"])
    result = {"created": len(create), "updated": len(update), "unchanged": unchanged}
    audit.record(actor=actor, action="areas.load", object_type="area", object_id=root or "",
                 after={"file": Path(path).name, **result})
    return result
