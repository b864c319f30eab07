from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        from risk import schedules, signals  # noqa: F401  - registers the schedule settings
        # (qaf.policy) and connects the "facts changed" receivers
