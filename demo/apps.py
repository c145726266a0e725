"""Made-up data for trying the registry and for benchmarks: demo cases written through the
services, the bulk generator of synthetic cases, demo accounts. Installed by the development,
test and benchmark settings only, never by production's (``config.settings.base``)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = _("Demo and benchmark data")
