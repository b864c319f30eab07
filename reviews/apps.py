from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "QA reviews"

    def ready(self) -> None:
        # Register the policy settings (qaf.policy), notice kinds (qaf.notifications) and
        # the public summary's workflow (reviews.public_workflows).
        from reviews import deadlines, notices, public_workflows  # noqa: F401
