from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "fupin.cli"
    label = "cli"
