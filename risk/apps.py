from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        # Register the schedule settings (qaf.policy) and notice kinds (qaf.notifications), and
        # connect the "facts changed" receivers.
        from risk import early_warning, notices, schedules, signals  # noqa: F401
