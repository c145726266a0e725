from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = _("International Coalition")
    default_auto_field = "django.db.models.BigAutoField"
