from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fupin.core"
    label = "core"
    verbose_name = "核心 / Core"

    def ready(self):
        from fupin.core import lookups  # noqa: F401 — registers field__any
        from fupin.core.dbfields import register_index_wrapper

        register_index_wrapper()
