"""Every write of the imports app: case imports (``imports``) and match runs
(``match_runs``, imported by module). The case import services' names are re-exported here,
so callers import ``imports.services`` whichever module holds a service."""

from __future__ import annotations

from .imports import (
    case_import_check,
    case_import_commit,
    case_import_commit_queue,
    case_import_discard,
    case_import_fail,
    case_import_run,
    case_import_upload,
    importing_organization,
    may_import,
    progress_key,
    sync_max_rows,
)

__all__ = [
    "case_import_check",
    "case_import_commit",
    "case_import_commit_queue",
    "case_import_discard",
    "case_import_fail",
    "case_import_run",
    "case_import_upload",
    "importing_organization",
    "may_import",
    "progress_key",
    "sync_max_rows",
]
