"""The coalition in the admin, for coordinators (who write) and every reading role (who read):
one module per part, each registering its models."""

from . import lists  # noqa: F401
