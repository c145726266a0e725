from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports and matching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web, worker, commands): the services
        # enqueue them by their pinned names, since the tasks call the services.
        import_module(f"{self.name}.tasks")
