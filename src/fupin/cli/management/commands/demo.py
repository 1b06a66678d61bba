"""`fupin demo`: everything a newcomer needs in one command (cli.md)."""

from django.core.management import call_command

from fupin.cli.base import FupinCommand, cli_actor

# Demo users: (username, role, area, what they are). Passwords are printed at the end.
DEMO_USERS = [
    ("city", "city", "431000000000", "郴州市扶贫办"),
    ("guidong", "county", "431027000000", "桂东县扶贫办"),
    ("shatian", "township", "431027101000", "桂东县沙田镇"),
    ("shuizhuang", "village", "431027101200", "沙田镇水庄村"),
    ("auditor", "auditor", "431000000000", "审计管理员"),
    # Maker-checker (domain.md section 7): a second person at each level to take the next step.
    ("zhucun", "village", "431027101200", "水庄村驻村工作队"),
    ("shatian2", "township", "431027101000", "沙田镇（复核）"),
    ("guidong2", "county", "431027000000", "桂东县扶贫办（复核）"),
    ("inspector", "inspector", "431027000000", "第三方评估组（抽查核验）"),
]
DEMO_YEAR = 2017  # the seeded income year; 郴州's 2017 targets are domain.md section 10's
DEMO_PASSWORD = "Fupin-Demo-2017"


class Command(FupinCommand):
    help = ("演示：建库、导入郴州区划、生成郴州规模的模拟台账、创建演示用户并启动网页 / demo: migrate, load 郴州 areas, "
            "seed a 郴州-sized registry, create demo users, serve http://127.0.0.1:8000")

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=130_000, help="模拟户数 / households to seed (130000)")
        parser.add_argument("--seed", type=int, default=2014)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动网页 / prepare only")

    def handle(self, *args, **o):
        from fupin.accounts.models import User
        from fupin.accounts.services import user_create
        from fupin.registry.models import Household

        call_command("migrate", verbosity=0)
        self.stdout.write("数据库就绪 / database ready")
        call_command("areas_load", "chenzhou", stdout=self.stdout)
        if Household.objects.exists():
            self.stdout.write(f"台账已有 {Household.objects.count():,} 户，跳过生成 / registry already seeded")
        else:
            call_command("seed", preset="chenzhou", households=o["households"], seed=o["seed"], stdout=self.stdout)
            self._assessments(o["seed"])
        actor = cli_actor()
        for username, role, area, label in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user_create(actor=actor, username=username, role=role, area_codes=[area], password=DEMO_PASSWORD)
            else:
                user.set_password(DEMO_PASSWORD)
                user.is_active = True
                user.save(update_fields=["password", "is_active"])
        self.stdout.write("\n演示用户 / demo users (密码 / password: %s)" % DEMO_PASSWORD)
        for username, role, area, label in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role:<9} {area}  {label}")
        self.stdout.write("")
        if o["no_serve"]:
            self.stdout.write(f"演示数据就绪 / demo ready: {Household.objects.count():,} households")
            return
        call_command("serve", port=o["port"])

    def _assessments(self, seed: int) -> None:
        """Village attributes, the 2017 targets and the 2017 exit assessments, so that every page
        has something to show on first start."""
        import time

        from fupin.areas.seeding import seed_village_attributes
        from fupin.policy.area_exit import assess_counties, assess_villages
        from fupin.policy.packs import get_pack
        from fupin.policy.services import assess_households
        from fupin.targets.services import target_set

        started = time.monotonic()
        actor, pack, city = cli_actor(), get_pack(), "431000000000"
        n = seed_village_attributes(actor=actor, year=DEMO_YEAR, root=city, seed=seed)
        target_set(actor=actor, area=city, year=DEMO_YEAR, villages=276, people=100_000, counties=["431027000000"])
        run = assess_households(actor=actor, year=DEMO_YEAR, pack=pack, area=city)
        villages = assess_villages(actor=actor, year=DEMO_YEAR, pack=pack, area=city)
        assess_counties(actor=actor, year=DEMO_YEAR, pack=pack, area=city)
        self.stdout.write(f"{DEMO_YEAR} 年评估 / assessments: {n} 村属性 village attributes, 目标 targets 276 村 / "
                          f"100,000 人 / 桂东县; {run.counts['passed']:,} 户可退出 of {run.counts['households']:,}, "
                          f"{villages.counts.get('passed', 0):,} 村可退出 ({time.monotonic() - started:.1f} s)")
