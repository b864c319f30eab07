from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"

    def ready(self) -> None:
        from escalation import (
            deadlines,  # noqa: F401  - registers the policy settings
            letters,  # noqa: F401  - registers the letters' default texts
        )
