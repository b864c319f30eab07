from django.apps import AppConfig


class QafConfig(AppConfig):
    name = "qaf"
    verbose_name = "QAF"

    def ready(self):
        # Signal receivers: an API token is revoked when its user signs out.
        from qaf import tokens  # noqa: F401
