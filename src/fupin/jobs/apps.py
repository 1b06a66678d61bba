from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "fupin.jobs"
    label = "jobs"
