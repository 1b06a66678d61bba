"""bulkwrite.Rows stores exactly what it is given: awkward text through COPY's escaping, JSON values
as audit.jsonable writes them, defaults for missing keys, whatever the keys of a batch's rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import AuditEntry
from fupin.registry import bulkwrite
from fupin.registry.bulkwrite import Rows
from fupin.registry.models import Household

pytestmark = pytest.mark.django_db

VILLAGE = "431002001001"
# every character COPY's text format escapes, a literal \N (NULL only when it is the whole value),
# and text that looks like the stand-ins' neighbours
AWKWARD = "a\\b\tc\nd\re\\N\\\\t 中文 \\x01"


def _household(number: str, **kw) -> dict:
    row = {"number": number, "village_id": VILLAGE, "group": "一组", "head_name": "张三", "head_initials": "zs",
           "phone": "", "bank_name": "", "bank_account": "", "attribute": "", "main_cause": "", "status": "未脱贫"}
    row.update(kw)
    return row


def _stored(numbers):
    fields = ["number", "kind", "group", "bank_name", "year_registered", "exit_year", "other_causes", "food_ok",
              "renovated", "arable_land", "version"]
    got = {r["number"]: r for r in Household.objects.filter(number__in=numbers).values(*fields)}
    return [got[n] for n in numbers]


def test_awkward_text_and_json_round_trip():
    now = timezone.now()
    Rows(Household).insert([_household("B1", group=AWKWARD, bank_name="\\N", other_causes=[AWKWARD, "\\"],
                                       arable_land=Decimal("1.50"), year_registered=2014),
                            _household("B2", group="\\", bank_name="", other_causes=[])], now)
    b1, b2 = _stored(["B1", "B2"])
    assert (b1["group"], b1["bank_name"], b1["other_causes"], b1["arable_land"]) == (
        AWKWARD, "\\N", [AWKWARD, "\\"], Decimal("1.50"))
    assert (b2["group"], b2["bank_name"], b2["other_causes"], b2["arable_land"]) == ("\\", "", [], None)


def test_audit_values_are_stored_as_audit_jsonable_writes_them():
    now = timezone.now()
    after = {"text": AWKWARD, "amount": Decimal("8976.00"), "small": Decimal("0E-2"), "born": dt.date(1975, 8, 14),
             "when": dt.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), "none": None, "yes": True, "no": False,
             "n": 2017, "list": ["缺土地", Decimal("1.5"), dt.date(2001, 1, 1)], "nested": {"k": [None, "\t"]},
             "big": 2**70}
    # PostgreSQL's COPY takes the values as they are; the ORM's JSONField elsewhere needs them jsonable
    given = after if connection.vendor == "postgresql" else audit.jsonable(after)
    Rows(AuditEntry).insert([
        {"at": now, "actor_id": None, "actor_name": "t", "ip": "", "action": "bulkwrite.test", "object_type": "x",
         "object_id": "1", "area_code": "", "before": None, "after": given, "reason": AWKWARD, "job_id": None},
        {"at": now, "actor_id": None, "actor_name": "t", "ip": "", "action": "bulkwrite.test", "object_type": "x",
         "object_id": "2", "area_code": "", "before": {"text": "\\"}, "after": None, "reason": "", "job_id": 7},
    ], now)
    e1, e2 = AuditEntry.objects.filter(action="bulkwrite.test").order_by("object_id")
    assert e1.after == audit.jsonable(after)
    assert (e1.before, e1.reason, e1.job_id, e1.at) == (None, AWKWARD, None, now)
    assert (e2.before, e2.after, e2.job_id) == ({"text": "\\"}, None, 7)


def test_rows_of_a_batch_may_give_different_keys():
    """The first row's keys choose the fast path; rows with other keys (more, fewer, as many but not
    the same ones, keys that are no field's) are written with their own values and the defaults,
    and leave nothing behind for the rows after them."""
    now = timezone.now()
    base = _household("K1", year_registered=2014)
    k3 = {k: v for k, v in base.items() if k != "year_registered"} | {"number": "K3", "food_ok": False}
    assert len(k3) == len(base)
    Rows(Household).insert([
        base,  # kind, food_ok, version, … from their defaults
        base | {"number": "K2", "kind": "低保户", "version": 3, "exit_year": 2020, "food_ok": False},
        base | {"number": "K6"},  # right after K2: takes none of K2's values
        k3,
        {k: v for k, v in base.items() if k != "year_registered"} | {"number": "K4"},
        base | {"number": "K5", "unrelated": "ignored"},
    ], now)
    # a batch whose first row has a key that is no field's
    Rows(Household).insert([base | {"number": "K7", "unrelated": 1}, base | {"number": "K8", "version": 2}], now)
    got = Household.objects.filter(number__startswith="K").order_by("number").values_list(
        "number", "kind", "version", "food_ok", "year_registered", "exit_year", "phone", "created_at")
    assert list(got) == [
        ("K1", "建档立卡户", 1, True, 2014, None, "", now),
        ("K2", "低保户", 3, False, 2014, 2020, "", now),
        ("K3", "建档立卡户", 1, False, None, None, "", now),
        ("K4", "建档立卡户", 1, True, None, None, "", now),
        ("K5", "建档立卡户", 1, True, 2014, None, "", now),
        ("K6", "建档立卡户", 1, True, 2014, None, "", now),
        ("K7", "建档立卡户", 1, True, 2014, None, "", now),
        ("K8", "建档立卡户", 2, True, 2014, None, "", now),
    ]


def test_copy_text_escapes_what_copy_reads_as_special():
    sep, nul = bulkwrite._SEP, bulkwrite._NUL
    assert bulkwrite._copy_text([f"a\\b\tc{sep}{nul}", f"d\ne\rf{sep}中"]) == (
        b"a\\\\b\\tc\t\\N\nd\\ne\\rf\t" + "中".encode() + b"\n")
    assert bulkwrite._copy_text(["plain"]) == b"plain\n"


def test_shared_values_are_stored_as_if_each_row_gave_them():
    # Rows.insert(shared=...): the importer gives an audit batch's actor, time, IP, reason and job once
    at = dt.datetime(2026, 3, 12, 8, 30, 0, 123456, tzinfo=dt.UTC)
    shared = {"at": at, "actor_id": None, "actor_name": AWKWARD, "ip": "10.0.0.1", "reason": "", "job_id": 77}
    rows = [{"action": "bulkwrite.shared", "object_type": "x", "object_id": str(i), "area_code": VILLAGE,
             "before": None, "after": {"i": i}} for i in range(3)]
    rows.append({"action": "bulkwrite.shared", "object_type": "y", "object_id": "odd", "area_code": ""})  # fewer keys
    Rows(AuditEntry).insert(rows, timezone.now(), shared=shared)
    got = list(AuditEntry.objects.filter(action="bulkwrite.shared").order_by("id").values(
        "at", "actor_id", "actor_name", "ip", "reason", "job_id", "object_type", "object_id", "area_code", "after"))
    assert [g["object_id"] for g in got] == ["0", "1", "2", "odd"]
    for g in got:
        assert {k: g[k] for k in shared} == shared
    assert [g["after"] for g in got] == [{"i": 0}, {"i": 1}, {"i": 2}, None]


def test_a_shared_value_for_no_field_is_refused():
    with pytest.raises(ValueError):
        Rows(AuditEntry).insert([{"action": "x", "object_type": "x"}], timezone.now(), shared={"nope": 1})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY")
def test_tuple_payload_reads_back_as_the_same_rows():
    # the importer's scratch tables are written with bulkwrite.tuple_copy_payload
    rows = [(1, AWKWARD, None, True, False, 3_000_000_000, "\\N"), (2, "", None, False, True, 0, "中文")]
    with connection.cursor() as c:
        c.execute("CREATE TEMP TABLE t_payload (a int, b text, c text, d boolean, e boolean, f bigint, g text)")
        with c.cursor.copy("COPY t_payload FROM STDIN") as copy:
            copy.write(bulkwrite.tuple_copy_payload(rows))
        c.execute("SELECT * FROM t_payload ORDER BY a")
        assert c.fetchall() == rows
        c.execute("DROP TABLE t_payload")
    assert bulkwrite.tuple_copy_payload([]) == b""
    assert bulkwrite.tuple_copy_payload([("x",)]) == b"x\n"
