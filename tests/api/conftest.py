import pytest
from rest_framework.test import APIClient

from tests.cast import VILLAGE_A, VILLAGE_B
from tests.factories import make_household


@pytest.fixture
def api():
    """api(user) → an APIClient logged in as `user` (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def homes(cast):
    """One household in village A (made by clerk A) and one in village B (made by clerk B)."""
    return {
        "A": make_household(cast["clerk_a"], "4310271012000001", VILLAGE_A, head_name="张三", size=3),
        "B": make_household(cast["clerk_b"], "4310271012010001", VILLAGE_B, head_name="李四", size=2),
    }
