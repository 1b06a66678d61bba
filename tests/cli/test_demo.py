"""`fupin demo --no-serve`: a newcomer's database with users at every level (two per level for
maker-checker), 2017 village attributes, the 2017 targets of 郴州 and stored 2017 assessments."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_demo_prepares_users_targets_and_assessments(capsys):
    from fupin.accounts.models import User
    from fupin.areas.models import VillageAttributes
    from fupin.policy.models import AssessmentRun
    from fupin.registry.models import Household
    from fupin.targets.models import Target

    call_command("demo", households=400, no_serve=True)
    out = capsys.readouterr().out
    assert Household.objects.count() == 400
    assert {"city", "guidong", "guidong2", "shatian", "shatian2", "shuizhuang", "zhucun", "auditor",
            "inspector"} <= set(User.objects.values_list("username", flat=True))
    assert User.objects.get(username="zhucun").check_password("Fupin-Demo-2017")
    assert VillageAttributes.objects.filter(year=2017).count() == 2420  # every village of 郴州
    t = Target.objects.get(area_id="431000000000", year=2017)
    assert (t.villages, t.people) == (276, 100_000)
    kinds = set(AssessmentRun.objects.filter(year=2017, status="succeeded").values_list("kind", flat=True))
    assert kinds == {"households", "villages", "counties"}
    run = AssessmentRun.objects.get(kind="households", year=2017)
    assert run.counts["households"] == Household.objects.filter(kind="建档立卡户", status__in=["未脱贫", "返贫"]).count()
    assert "可退出" in out

    # A second start keeps the data (and does not assess again).
    call_command("demo", households=400, no_serve=True)
    assert AssessmentRun.objects.filter(kind="households").count() == 1
