from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = _("International Coalition")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.signals import case_moved

        from . import receivers

        case_moved.connect(receivers.case_moved, dispatch_uid="coalition_entries_follow_case")
