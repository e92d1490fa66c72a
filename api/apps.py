from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Canvas-compatible API"

    def ready(self) -> None:
        # Registers the Bearer token scheme with drf-spectacular.
        from api import schema  # noqa: F401
