from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data protection (issue 13 item 8): retention and the nightly purge, subject-access
    exports and the administrator's access log."""

    name = "qaf.privacy"
    label = "privacy"  # tables, migrations and permissions keep the short name
    verbose_name = "Data protection"
