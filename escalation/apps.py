from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"

    def ready(self) -> None:
        # Registers settings (deadlines, concern), letters, and the board meeting's workflow
        # with its notice.
        from escalation import (  # noqa: F401
            board_workflows,
            case_workflows,
            concern,
            deadlines,
            letters,
            revocation_workflows,
        )
