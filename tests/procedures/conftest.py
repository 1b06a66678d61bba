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


# The built-in hunan pack has a monitoring threshold for 2021 only; the cases here run in 2017.
# The test households net 3,000 yuan a head (tests/factories.py), above these thresholds.
THRESHOLDS = {2016: 2800, 2017: 2900, 2018: 3000}


@pytest.fixture(autouse=True)
def monitoring_pack(system_user, tmp_path):
    """The default pack (hunan) as an operator would load it, with monitoring thresholds for 2016–2018,
    so that risk elimination can be checked against domain.md 6.5 on the tests' dates."""
    import yaml

    from fupin.policy.pack_services import pack_load
    from fupin.policy.packs import BUILTIN_DIR, get_pack

    data = yaml.safe_load((BUILTIN_DIR / "hunan.yaml").read_text(encoding="utf-8"))
    data["version"] = f"{data['version']}-procedures-tests"
    data["monitoring"]["income_thresholds"] = {**data["monitoring"]["income_thresholds"], **THRESHOLDS}
    path = tmp_path / "hunan-tests.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pack_load(actor=system_user, path=path)
    return get_pack()


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
