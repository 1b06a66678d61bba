"""`fupin policy load FILE` — validate and store an operator's policy pack (docs/policy-packs.md)."""

from fupin.cli.base import FupinCommand, cli_actor
from fupin.policy.pack_services import pack_load


class Command(FupinCommand):
    help = ("校验并导入政策包（YAML 或 TOML）；同名同版本内容不可更改 / validate and store a policy pack "
            "(YAML or TOML); a name and version, once loaded, cannot change")

    def add_arguments(self, parser):
        parser.add_argument("file", help="政策包文件 / pack file (.yaml, .yml, .toml)")
        parser.add_argument("--as", dest="as_user", help="操作用户 / acting user")

    def handle(self, *args, **o):
        pack, created = pack_load(actor=cli_actor(o["as_user"]), path=o["file"])
        years = ", ".join(str(y) for y in sorted(pack.poverty_lines))
        state = "已导入 / loaded" if created else "已存在，未改变 / already loaded, unchanged"
        self.stdout.write(f"政策包 / policy pack {pack.label}: {state}; 贫困线年度 / poverty-line years {years}")
