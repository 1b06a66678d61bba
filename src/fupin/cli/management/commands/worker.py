import sys

from fupin.cli.base import FupinCommand


class Command(FupinCommand):
    help = "运行后台任务进程（Celery + Redis）/ run the background job worker (Celery with Redis)"

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, **o):
        cmd = [sys.executable, "-m", "celery", "-A", "fupin.config.celery", "worker", "--loglevel", "INFO",
               "--concurrency", str(o["concurrency"])]
        self.run_child(cmd, "后台任务进程已停止 / worker stopped")
