from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The custom setting the custody table's append-only trigger reads (migration 0002).
ALLOW_CUSTODY_TRUNCATE_SQL = "SET registry.custody_truncate_allowed = 'on'"


def allow_custody_truncate(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Let the test runner empty the custody table between transactional tests (it TRUNCATEs
    every table); connected only when ``SOURCES_ALLOW_CUSTODY_TRUNCATE`` is set."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(ALLOW_CUSTODY_TRUNCATE_SQL)


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = _("Sources and evidence")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from cases.admin_case_page import register_case_panel

        from .admin_case_documents import DocumentsPanel

        # The documents that support a case, on the case's admin page.
        register_case_panel(DocumentsPanel())

        if getattr(settings, "SOURCES_ALLOW_CUSTODY_TRUNCATE", False):
            connection_created.connect(allow_custody_truncate, dispatch_uid="custody_truncate")
