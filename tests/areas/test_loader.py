import gzip

import pytest

from fupin.areas.models import Area
from fupin.areas.services import areas_load, read_divisions
from fupin.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

DONGGUAN = """code,name,level,parent_code
440000000000,广东省,1,
441900000000,东莞市,2,440000000000
441900000000,东莞市,3,441900000000
441900003000,东城街道,4,441900000000
441900003001,东城社区,5,441900003000
"""


def test_chenzhou_is_loaded_with_real_counts():
    counts = {lvl: Area.objects.filter(code__startswith="4310", level=lvl).count() for lvl in (2, 3, 4, 5)}
    assert counts == {2: 1, 3: 11, 4: 162, 5: 2420}
    v = Area.objects.get(code="431027101200")
    assert v.full_name == "郴州市桂东县沙田镇水庄村村委会"
    assert v.parent.parent.code == "431027000000"


def test_reload_is_idempotent():
    from fupin.areas.services import BUNDLED_CHENZHOU

    r = areas_load(actor=None, path=BUNDLED_CHENZHOU)
    assert r["created"] == 0 and r["updated"] == 0 and r["unchanged"] == 2595


def test_city_without_counties_keeps_one_row_per_code(tmp_path):
    f = tmp_path / "dg.csv.gz"
    f.write_bytes(gzip.compress(DONGGUAN.encode()))
    r = areas_load(actor=None, path=f)
    assert r["created"] == 4
    dg = Area.objects.get(code="441900000000")
    assert dg.level == 2
    assert Area.objects.get(code="441900003001").parent.parent == dg


def test_root_keeps_subtree_and_ancestors(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(DONGGUAN + "450000000000,广西壮族自治区,1,\n", encoding="utf-8")
    rows = read_divisions(f, root="441900003000")
    assert {r[0] for r in rows} == {"440000000000", "441900000000", "441900003000", "441900003001"}


def test_bad_file_is_refused_and_changes_nothing(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("code,name\n1,x\n", encoding="utf-8")
    before = Area.objects.count()
    with pytest.raises(ApplicationError) as exc:
        areas_load(actor=None, path=f)
    assert exc.value.code == "E_MISSING_COLUMN"
    assert Area.objects.count() == before
