from django.apps import AppConfig


class CrosscheckConfig(AppConfig):
    name = "fupin.crosscheck"
    verbose_name = "比对名单"
