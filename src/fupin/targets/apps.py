from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "fupin.targets"
    verbose_name = "年度目标"
