"""Shared behaviour of fupin's commands (cli.md): exit 1 with a Chinese/English reason on
invalid input, a one-line summary last, `--as USERNAME` for the acting user."""

import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError

from fupin.core.audit import audit_context
from fupin.core.errors import ApplicationError, ValidationFailed


def cli_actor(username: str | None = None):
    """The user a command acts as: --as USERNAME, or the operator's own system identity."""
    from fupin.accounts.models import Role, User

    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有用户 {username} / no such user: {username}", returncode=1)
        return user
    user, _ = User.objects.get_or_create(
        username="fupin-cli",
        defaults={"role": Role.ADMIN, "is_superuser": True, "is_staff": False, "first_name": "命令行"},
    )
    if not user.has_usable_password():
        pass
    else:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class FupinCommand(BaseCommand):
    def execute(self, *args, **options):
        from django.conf import settings
        from django.utils import translation

        try:
            # Commands speak Chinese first (cli.md), whatever language a caller's thread has active.
            with audit_context(source="cli"), translation.override(settings.LANGUAGE_CODE):
                return super().execute(*args, **options)
        except ValidationFailed as exc:
            for e in exc.errors:
                print(f"{e.get('code')}: {e.get('message')}", file=sys.stderr)
            raise CommandError(exc.message, returncode=1) from exc
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}", returncode=1) from exc

    MAX_ERRORS_SHOWN = 20

    def fail_with_errors(self, errors, summary: str, *, report=None):
        """Exit 1 for a file with errors (cli.md): the errors on standard error as sheet, row,
        column, code and message; with `report` (a path) the whole list is written there as the
        registry import's error report and only the first ones are printed."""
        if report is not None:
            from fupin.registry.importer import write_error_report

            write_error_report(errors, report)
            summary = f"{summary}; 错误报告 / error report: {report}"
        shown = errors[: self.MAX_ERRORS_SHOWN] if report is not None else errors  # no report: all of them
        for e in shown:
            row = f"第{e.row}行" if e.row is not None else "表头"
            self.stderr.write(f"{e.sheet} {row} {e.column} {e.code}: {e.message}")
        if len(errors) > len(shown):
            self.stderr.write(f"…… 另有 {len(errors) - len(shown)} 个错误 / more errors in the report")
        raise CommandError(summary, returncode=1)

    def progress(self, done: int, total: int, label: str = "") -> None:
        """A progress bar on a terminal, nothing otherwise."""
        if not sys.stderr.isatty() or not total:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def run_child(self, cmd: list[str], stopped: str) -> None:
        """Run a long-lived child (gunicorn, celery) in the foreground; Ctrl+C stops it cleanly and
        its exit code becomes ours."""
        try:
            rc = subprocess.call(cmd)
        except KeyboardInterrupt:
            rc = 0
        self.stdout.write(stopped)
        raise SystemExit(rc)
