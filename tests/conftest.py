import os

import pytest

from tests.cast import CAST, PASSWORD

os.environ.setdefault("FUPIN_JOBS_EAGER", "1")


@pytest.fixture(scope="session", autouse=True)
def _jobs_run_inline():
    """Background jobs run inline in tests (settings are read before this file, so set the app itself).
    tests/jobs starts a real worker for the one test that needs one."""
    from fupin.config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The real 郴州 divisions are loaded once per test database (2,595 areas, about a second)."""
    from fupin.areas.services import BUNDLED_CHENZHOU, areas_load

    with django_db_blocker.unblock():
        areas_load(actor=None, path=BUNDLED_CHENZHOU)


@pytest.fixture
def cast(db):
    """{name: User} for the fixed cast of tests/cast.py, created through the service."""
    from fupin.accounts.services import user_create

    system = None
    return {
        name: user_create(actor=system, username=name, role=role, area_codes=areas, password=PASSWORD, validate=False)
        for name, (role, areas) in CAST.items()
    }


@pytest.fixture
def system_user(db):
    from fupin.cli.base import cli_actor

    return cli_actor()


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is the production hasher (tested in tests/accounts); the cast needs no slow hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.Argon2PasswordHasher"]


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return ("transactional_db" in request.fixturenames or "live_server" in request.fixturenames
            or bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))))


@pytest.fixture(autouse=True)
def _areas_after_flush(request, django_db_blocker):
    """A transactional test ends by emptying every table, the session's areas included; pytest-django
    runs those tests after the others, so each one puts the areas back first if they are gone."""
    if _is_transactional(request):
        from fupin.areas.models import Area
        from fupin.areas.services import BUNDLED_CHENZHOU, areas_load

        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            if not Area.objects.exists():
                areas_load(actor=None, path=BUNDLED_CHENZHOU)
