import time

import pytest
from django.conf import settings

from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db


def test_idle_timeout_is_30_minutes_from_the_last_request(client, cast):
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(cast["clerk_a"])
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get("/households/").status_code == 200
    left = Session.objects.get(pk=key).expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)  # renewed by the request
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = client.get("/households/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_absolute_lifetime_of_12_hours_logs_out(client, cast):
    client.force_login(cast["clerk_a"])
    assert client.get("/households/").status_code == 200
    session = client.session
    session["fupin_login_at"] = time.time() - 12 * 3600 - 5
    session.save()
    r = client.get("/households/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_login_rotates_the_session_key_and_logout_kills_it(client, cast):
    client.get("/login/")
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    r = client.post("/login/", {"username": "clerk_a", "password": PASSWORD})
    assert r.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
    client.post("/logout/")
    assert client.get("/households/").status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after).exists()
