from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "fupin.policy"
    verbose_name = "政策与评估"
