"""The admin app, with the registry's admin site as ``django.contrib.admin.site``.

Everything registered with ``admin.site`` or ``@admin.register`` lands on
``config.admin_site.RegistryAdminSite`` (two-factor login), with no change to the apps' admin
modules. The site lives in its own module: this one is imported before the models are loaded.
"""

from django.contrib.admin.apps import AdminConfig


class RegistryAdminConfig(AdminConfig):
    default_site = "config.admin_site.RegistryAdminSite"
