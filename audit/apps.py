from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth import signals
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported once the models are loaded, as Django asks: the receivers write events, and
        # this module is imported before any model is.
        from . import receivers

        signals.user_logged_in.connect(receivers.on_user_logged_in, dispatch_uid="audit_login")
        signals.user_logged_out.connect(receivers.on_user_logged_out, dispatch_uid="audit_logout")
        signals.user_login_failed.connect(
            receivers.on_user_login_failed, dispatch_uid="audit_login_failed"
        )
        if getattr(settings, "AUDIT_ALLOW_TRUNCATE", False):
            connection_created.connect(receivers.allow_truncate, dispatch_uid="audit_truncate")
