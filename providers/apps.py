from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Register"

    def ready(self) -> None:
        # Every many-to-many field to Evidence records where the file was used (issue 12).
        from providers import uses

        uses.connect()
