"""The coalition in the admin, for coordinators (who write) and every reading role (who read):
one module per part, each registering its models and pages."""

from . import dossier, lists, meetings, members

__all__ = ["dossier", "lists", "meetings", "members"]
