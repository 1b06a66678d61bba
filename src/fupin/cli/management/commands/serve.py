import os
import sys

from django.conf import settings

from fupin.cli.base import FupinCommand


class Command(FupinCommand):
    help = "以生产方式运行网页服务（gunicorn，非 runserver）/ serve the web UI with gunicorn"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("FUPIN_WEB_WORKERS", "2")))

    def handle(self, *args, **o):
        if settings.DEBUG:
            self.stderr.write("警告：调试模式开启，仅供演示；生产环境请设置 FUPIN_DEBUG=0 / "
                              "warning: DEBUG is on — demo only; set FUPIN_DEBUG=0 in production")
        self.stdout.write(f"fupin 网页服务 / web UI: http://{o['host']}:{o['port']}/  (Ctrl+C 退出 / to stop)")
        cmd = [sys.executable, "-m", "gunicorn", "fupin.config.wsgi:application", "--bind", f"{o['host']}:{o['port']}",
               "--workers", str(o["workers"]), "--threads", "4", "--timeout", "300", "--access-logfile", "-",
               # %(U)s is the path without the query string: a search by ID number must not reach the log.
               "--access-logformat", '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms']
        self.run_child(cmd, "服务已停止 / server stopped")
