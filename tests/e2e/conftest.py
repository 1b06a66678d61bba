"""Browser tests: Playwright (sync API) driving Debian's /usr/bin/chromium against pytest-django's
live_server. Playwright's own browser download cannot work on this network, hence executable_path."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

# The Playwright sync API runs an event loop in this thread; Django's ORM (used by the fixtures while
# the browser is open) would otherwise refuse to run "from an async context".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser(django_db_setup, live_server):
    """Set up after the test database and the live server, so torn down before them: the server's
    connection is closed before the test database is dropped."""
    if not CHROMIUM.exists():
        pytest.skip("浏览器测试需要 /usr/bin/chromium / browser tests need /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, transactional_db, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory):
    """Screenshots of the main screens, kept for a person to look at."""
    d = tmp_path_factory.mktemp("screens")
    print(f"\nscreenshots: {d}")
    return d


@pytest.fixture(scope="module", autouse=True)
def _reload_areas_after_flush(django_db_setup, django_db_blocker):
    """A transactional test ends by emptying every table, the areas loaded once per session included.
    Module-scoped, this is torn down after the last test's flush: it loads the areas again for the
    tests that run later in the session (and for the next test here, see _areas)."""
    yield
    _ensure_areas(django_db_blocker)


@pytest.fixture(autouse=True)
def _areas(django_db_setup, django_db_blocker):
    _ensure_areas(django_db_blocker)


def _ensure_areas(django_db_blocker):
    from fupin.areas.models import Area
    from fupin.areas.services import BUNDLED_CHENZHOU, areas_load

    with django_db_blocker.unblock():
        if not Area.objects.exists():
            areas_load(actor=None, path=BUNDLED_CHENZHOU)
