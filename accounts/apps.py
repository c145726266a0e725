from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from audit.directory import register_directory


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Imported once the models are loaded, as Django asks: the directory reads models, and
        # this module is imported before any model is.
        from .audit_directory import AccountsDirectory

        # The audit trail sits below accounts: what it needs to know of API keys,
        # organizations and roles, it asks this directory.
        register_directory(AccountsDirectory())
