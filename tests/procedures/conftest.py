import datetime as dt
import itertools
import zoneinfo

import pytest

from tests.cast import COUNTY, PASSWORD, TOWNSHIP, VILLAGE_A

T0 = dt.datetime(2017, 6, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
_numbers = itertools.count(1)

# A second person at each level: the maker-checker rule means two people take consecutive steps
# (domain.md section 1 names 村两委 and 驻村工作队 for the village).
EXTRA = {"clerk_a2": ("village", [VILLAGE_A]), "township_officer2": ("township", [TOWNSHIP]),
         "county_officer2": ("county", [COUNTY])}


@pytest.fixture
def crew(cast):
    from fupin.accounts.services import user_create

    extra = {name: user_create(actor=None, username=name, role=role, area_codes=areas, password=PASSWORD,
                               validate=False) for name, (role, areas) in EXTRA.items()}
    return {**cast, **extra}


def next_number(village: str = VILLAGE_A) -> str:
    return f"{village[:10]}{next(_numbers):06d}"


@pytest.fixture
def household_for(crew):
    """household_for(machine_name, village=VILLAGE_A): a household a case of that procedure may concern."""
    from tests.procedures.helpers import make_for

    def make(name: str, village: str = VILLAGE_A, **kw):
        return make_for(crew["clerk_a"] if village == VILLAGE_A else crew["clerk_b"], name, village, **kw)

    return make
