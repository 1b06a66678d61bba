import secrets

from fupin.accounts.models import Role
from fupin.accounts.services import user_create
from fupin.cli.base import FupinCommand, cli_actor


class Command(FupinCommand):
    help = "创建用户并指定管辖区划 / create a user scoped to areas"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", action="append", default=[], help="12 位区划代码，可多次 / area code, repeatable")
        parser.add_argument("--password", help="不填则生成并打印 / generated and printed when omitted")
        parser.add_argument("--as", dest="as_user")

    def handle(self, *args, **o):
        password = o["password"] or (secrets.token_urlsafe(9) + "a1A!")
        user = user_create(actor=cli_actor(o["as_user"]), username=o["username"], role=o["role"],
                           area_codes=o["area"], password=password)
        if not o["password"]:
            self.stdout.write(f"密码 / password: {password}")
        self.stdout.write(f"用户已创建 / user created: {user.username} ({o['role']}, {len(o['area'])} areas)")
