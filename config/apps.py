"""The project's app configuration, and the admin app with the registry's admin site as
``django.contrib.admin.site``.

Everything registered with ``admin.site`` or ``@admin.register`` lands on
``config.admin_site.RegistryAdminSite`` (two-factor login), with no change to the apps' admin
modules. The site lives in its own module: this one is imported before the models are loaded.
"""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class RegistryAdminConfig(AdminConfig):
    default_site = "config.admin_site.RegistryAdminSite"


class RegistryConfig(AppConfig):
    """The composition root as an app: the commands that span apps (loading every app's seeds)."""

    name = "config"
    label = "registry_config"
    verbose_name = _("Registry configuration")
