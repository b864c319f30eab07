from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "QA reviews"

    def ready(self) -> None:
        # Register the policy settings (qaf.policy) and notice kinds (qaf.notifications).
        from reviews import deadlines, notices  # noqa: F401
