"""The reports app in the admin: one module per part, each registering its models and pages."""

from . import reports

__all__ = ["reports"]
