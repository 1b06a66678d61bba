import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from fupin.accounts.backends import LockoutBackend
from fupin.accounts.services import user_create
from fupin.core.errors import ApplicationError
from fupin.core.models import AuditEntry
from tests.cast import PASSWORD, VILLAGE_A

pytestmark = pytest.mark.django_db


def request(ip="10.0.0.8"):
    r = RequestFactory().post("/login/")
    r.META["REMOTE_ADDR"] = ip
    return r


def test_locked_at_the_sixth_attempt_even_with_the_right_password(cast):
    for _ in range(5):
        assert authenticate(request(), username="clerk_a", password="wrong-Password-1") is None
    assert AuditEntry.objects.filter(action="login.failed", object_id="clerk_a").count() == 5
    with pytest.raises(PermissionDenied):
        LockoutBackend().authenticate(request(), username="clerk_a", password=PASSWORD)
    # The same user from another address is not locked.
    assert authenticate(request("10.0.0.9"), username="clerk_a", password=PASSWORD) == cast["clerk_a"]


def test_lock_expires_after_30_minutes(cast, monkeypatch):
    from django.utils import timezone

    for _ in range(5):
        authenticate(request(), username="clerk_b", password="nope-Nope-1")
    later = timezone.now() + dt.timedelta(minutes=31)
    monkeypatch.setattr("fupin.accounts.backends.timezone.now", lambda: later)
    assert authenticate(request(), username="clerk_b", password=PASSWORD) == cast["clerk_b"]


def test_four_failures_then_success_resets(cast):
    for _ in range(4):
        authenticate(request(), username="clerk_a", password="bad-Bad-11")
    assert authenticate(request(), username="clerk_a", password=PASSWORD) is not None
    for _ in range(4):
        authenticate(request(), username="clerk_a", password="bad-Bad-11")
    assert authenticate(request(), username="clerk_a", password=PASSWORD) is not None


@pytest.mark.parametrize("weak", ["short1A", "alllowercaseletters", "12345678", "password", "Password",
                                  "abcdefgh1"])
def test_weak_passwords_are_rejected(weak):
    with pytest.raises(ApplicationError):
        user_create(actor=None, username="newbie", role="village", area_codes=[VILLAGE_A], password=weak)


def test_production_hasher_is_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    u = user_create(actor=None, username="strong", role="village", area_codes=[VILLAGE_A], password="Chenzhou-2017")
    assert identify_hasher(u.password).algorithm == "argon2"


def test_unknown_role_and_area_are_refused():
    with pytest.raises(ApplicationError) as exc:
        user_create(actor=None, username="x", role="village", area_codes=["431027999999"], password="Chenzhou-2017")
    assert exc.value.code == "E_UNKNOWN_AREA"
