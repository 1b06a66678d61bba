from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "fupin.procedures"
    verbose_name = "程序与公示"
