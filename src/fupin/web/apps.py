from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fupin.web"
    label = "web"
