"""The coalition in the admin, for coordinators (who write) and every reading role (who read):
one module per part, each registering its models and pages."""

from . import dossier, meetings, members

__all__ = ["dossier", "meetings", "members"]
