from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"

    def ready(self) -> None:
        # Registers settings (deadlines, concern) and letters.
        from escalation import concern, deadlines, letters  # noqa: F401
