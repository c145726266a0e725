"""``core``: the plumbing every app of the registry stands on. It imports no app of the project."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from .db import use_compiled_timestamp_loader


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Registry plumbing")

    def ready(self) -> None:
        connection_created.connect(
            use_compiled_timestamp_loader, dispatch_uid="registry-compiled-timestamps"
        )
