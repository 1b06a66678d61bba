"""The `fupin` console command (cli.md): `fupin areas load FILE` runs the management command
`areas_load`, `fupin import registry …` runs `import_registry`, and so on."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    if argv[:1] == ["demo"]:
        # The demo runs background jobs inline (no Celery worker needed on a newcomer's machine).
        os.environ.setdefault("FUPIN_JOBS_EAGER", "1")
    import django
    from django.core.management import ManagementUtility, get_commands

    django.setup()
    if len(argv) >= 2 and f"{argv[0]}_{argv[1]}" in get_commands():
        argv = [f"{argv[0]}_{argv[1]}", *argv[2:]]
    elif argv and argv[0] in ("areas", "users", "import", "export", "assess", "policy", "spotcheck", "crosscheck", "targets"):
        subs = sorted(c.split("_", 1)[1] for c in get_commands() if c.startswith(argv[0] + "_"))
        print(f"用法 / usage: fupin {argv[0]} {{{'|'.join(subs)}}} …", file=sys.stderr)
        return 2
    try:
        ManagementUtility(["fupin", *argv]).execute()
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
