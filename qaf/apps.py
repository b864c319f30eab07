from django.apps import AppConfig


class QafConfig(AppConfig):
    name = "qaf"
    verbose_name = "QAF"
