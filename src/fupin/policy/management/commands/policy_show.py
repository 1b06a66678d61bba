"""`fupin policy show [NAME|FILE]` — print a pack's figures, or list the packs there are."""

from fupin.cli.base import FupinCommand
from fupin.policy.models import PolicyPack
from fupin.policy.packs import builtin_names, resolve


class Command(FupinCommand):
    help = "列出政策包，或显示一个政策包的各项标准 / list the policy packs, or show one pack's figures"

    def add_arguments(self, parser):
        parser.add_argument("pack", nargs="?", help="政策包名称或文件 / pack name or file")

    def handle(self, *args, **o):
        if not o["pack"]:
            for name in builtin_names():
                self.stdout.write(f"{name}\t内置 / built-in")
            for p in PolicyPack.objects.order_by("name", "loaded_at"):
                self.stdout.write(f"{p.name}\t{p.version}\t{p.loaded_at:%Y-%m-%d %H:%M}\t{p.sha256[:12]}")
            self.stdout.write(f"{len(builtin_names())} 个内置 built-in, {PolicyPack.objects.count()} 个已导入 loaded")
            return
        p = resolve(o["pack"])
        w = self.stdout.write
        w(f"{p.label} — {p.title}")
        w("贫困线 / poverty lines: " + ", ".join(f"{y} {v}" for y, v in sorted(p.poverty_lines.items())))
        w(f"义务教育年龄 / compulsory-education ages: {p.edu_min_age}–{p.edu_max_age}")
        w(f"饮水安全为退出指标 / water a criterion from: {p.water_from or '—'}")
        w(f"贫困村退出 / village exit: 发生率 < {p.village_incidence_below}%; "
          + ", ".join(f"{i.column}{'' if i.kind == 'bool' else ' ≥ ' + str(i.min)}" for i in p.checklist))
        w(f"贫困县摘帽 / county exit: 发生率 < {p.county_incidence_below}%, 错退率 < {p.wrongful_exit_below}%, "
          f"漏评率 < {p.missed_identification_below}%, 认可度 > {p.approval_above}%, 抽样 {p.sample_share}%")
        w("公示天数 / notice days: " + ", ".join(f"{k} {v}" for k, v in p.notice_days.items()))
        w("监测收入标准 / monitoring thresholds: "
          + (", ".join(f"{y} {v}" for y, v in sorted(p.monitoring_thresholds.items())) or "—")
          + f"; 刚性支出占比 / spending share {p.spending_share}%")
        w(f"sha256 {p.sha256}")
