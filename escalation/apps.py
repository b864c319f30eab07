from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"

    def ready(self) -> None:
        from escalation import deadlines, letters  # noqa: F401  - registers settings, letters
