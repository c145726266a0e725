"""The project's app configuration, and the admin app with the registry's admin site as
``django.contrib.admin.site``.

Everything registered with ``admin.site`` or ``@admin.register`` lands on
``config.admin_site.RegistryAdminSite`` (two-factor login), with no change to the apps' admin
modules. The site lives in its own module: this one is imported before the models are loaded.
"""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.backends.signals import connection_created


class RegistryAdminConfig(AdminConfig):
    default_site = "config.admin_site.RegistryAdminSite"


class RegistryConfig(AppConfig):
    """The project's own wiring: what runs once the apps are loaded."""

    name = "config"
    label = "registry_config"
    verbose_name = "Registry configuration"

    def ready(self) -> None:
        from .db import use_compiled_timestamp_loader

        connection_created.connect(
            use_compiled_timestamp_loader, dispatch_uid="registry-compiled-timestamps"
        )
