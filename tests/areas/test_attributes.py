import pytest

from fupin.areas.attributes import village_attributes_load
from fupin.areas.models import VillageAttributes
from fupin.core.models import AuditEntry
from tests.cast import VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db

HEAD = "行政区划代码,农业户籍人口,通硬化路,通安全饮水,通生活用电,有标准化卫生室,通宽带,村集体经济收入\n"


def write(tmp_path, body, name="a.csv"):
    p = tmp_path / name
    p.write_text(HEAD + body, encoding="utf-8-sig")
    return p


def test_load_then_reload_is_unchanged(tmp_path, cast):
    p = write(tmp_path, f"{VILLAGE_A},1200,是,是,是,否,Y,\"52,000\"\n{VILLAGE_B},980,是,否,是,是,是,30000\n")
    r = village_attributes_load(actor=cast["township_officer"], path=p, year=2017)
    assert (r.ok, r.created) == (True, 2)
    a = VillageAttributes.objects.get(village_id=VILLAGE_A, year=2017)
    assert a.rural_population == 1200
    assert a.items == {"通硬化路": True, "通安全饮水": True, "通生活用电": True, "有标准化卫生室": False,
                       "通宽带": True, "村集体经济收入": "52000.00"}
    r2 = village_attributes_load(actor=cast["township_officer"], path=p, year=2017)
    assert (r2.created, r2.changed, r2.unchanged) == (0, 0, 2)
    assert AuditEntry.objects.filter(action="village_attributes.set").count() == 2


def test_any_error_writes_nothing_and_all_errors_are_listed(tmp_path, cast):
    p = write(tmp_path, f"{VILLAGE_A},1200,是,是,是,否,是,50000\n{VILLAGE_B},多,也许,是,是,是,是,-5\n")
    r = village_attributes_load(actor=cast["township_officer"], path=p, year=2017)
    assert sorted((e.row, e.column, e.code) for e in r.errors) == [
        (3, "农业户籍人口", "E_NUMBER"), (3, "村集体经济收入", "E_NUMBER"), (3, "通硬化路", "E_ENUM")]
    assert not VillageAttributes.objects.exists()


def test_clerk_b_cannot_set_village_a(tmp_path, cast):
    p = write(tmp_path, f"{VILLAGE_A},1200,是,是,是,是,是,50000\n")
    r = village_attributes_load(actor=cast["clerk_b"], path=p, year=2017)
    assert [e.code for e in r.errors] == ["E_UNKNOWN_AREA"]
    assert not VillageAttributes.objects.exists()


def test_missing_column(tmp_path, cast):
    p = tmp_path / "m.csv"
    p.write_text("行政区划代码,通宽带\n", encoding="utf-8")
    r = village_attributes_load(actor=cast["city_officer"], path=p, year=2017)
    assert [(e.row, e.column, e.code) for e in r.errors] == [(None, "农业户籍人口", "E_MISSING_COLUMN")]


def test_checklist_columns_come_from_the_policy_pack_in_use(tmp_path, cast, settings):
    """An operator's pack with its own checklist item: the attributes file must carry that column
    (as a number of yuan), and the built-in pack's columns it dropped are no longer known."""
    from fupin.policy.pack_services import pack_load

    pack = tmp_path / "prov.yaml"
    pack.write_text("name: prov\nversion: '1'\npoverty_lines: {2017: 3100}\n"
                    "village_exit:\n  checklist:\n    - {column: 通硬化路, kind: bool, code: ROAD}\n"
                    "    - {column: 光伏收益, kind: yuan, min: 20000, code: PV}\n", encoding="utf-8")
    pack_load(actor=cast["city_officer"], path=pack)
    settings.FUPIN_POLICY_PACK = "prov"
    p = tmp_path / "v.csv"
    p.write_text(f"行政区划代码,农业户籍人口,通硬化路,光伏收益,通宽带\n{VILLAGE_A},1200,是,二万,是\n", encoding="utf-8")
    r = village_attributes_load(actor=cast["township_officer"], path=p, year=2017)
    assert [(e.column, e.code) for e in r.errors] == [("光伏收益", "E_NUMBER")]
    p.write_text(f"行政区划代码,农业户籍人口,通硬化路,光伏收益,通宽带\n{VILLAGE_A},1200,是,25000,是\n", encoding="utf-8")
    r = village_attributes_load(actor=cast["township_officer"], path=p, year=2017)
    assert r.ok
    assert VillageAttributes.objects.get(village_id=VILLAGE_A, year=2017).items == {"通硬化路": True,
                                                                                     "光伏收益": "25000.00"}
    assert any("通宽带" in w for w in r.warnings)  # not a column of this pack: ignored with a warning
