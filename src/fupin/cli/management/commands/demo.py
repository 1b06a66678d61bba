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
]
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
