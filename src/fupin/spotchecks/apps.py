from django.apps import AppConfig


class SpotchecksConfig(AppConfig):
    name = "fupin.spotchecks"
    verbose_name = "抽查核验"
