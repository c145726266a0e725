from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Case registry")

    def ready(self) -> None:
        # Register the Celery tasks in every process (web, worker, commands): the services
        # enqueue them by their pinned names, since the tasks call the services.
        import_module(f"{self.name}.tasks")
