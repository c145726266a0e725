"""The reports app in the admin: one module per part, each registering its models and pages."""

from . import emails, reminders, reports

__all__ = ["emails", "reminders", "reports"]
