import pytest

from fupin.areas.models import VillageAttributes
from fupin.core.models import AuditEntry
from tests.cast import VILLAGE_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    from fupin.accounts.services import user_create

    u = user_create(actor=None, username="root", role="admin", area_codes=[], password="Chenzhou-2017")
    client.force_login(u)
    return client


def test_admin_change_is_audited_with_before_and_after(admin_client):
    va = VillageAttributes.objects.create(village_id=VILLAGE_A, year=2017, rural_population=100, items={})
    r = admin_client.post(f"/admin/areas/villageattributes/{va.pk}/change/",
                          {"village": VILLAGE_A, "year": 2017, "rural_population": 120, "items": "{}"})
    assert r.status_code == 302, r.content[:500]
    e = AuditEntry.objects.get(action="admin.update", object_type="villageattributes")
    assert e.before == {"rural_population": 100} and e.after == {"rural_population": 120}


def test_registry_is_read_only_in_admin(admin_client):
    assert admin_client.get("/admin/registry/household/add/").status_code == 403
