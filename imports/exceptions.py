"""Errors of case imports and match runs, all ``DomainError`` subclasses mapped by
``core.errors``."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound, RequestTooLarge, ValidationFailed

from .tabular import TableError, limit


class CaseImportNotFound(NotFound):
    code = "case_import_not_found"
    default_detail = _("No such case import.")


class CaseImportNotReady(Conflict):
    """The import is not in a state that allows this (a commit before the check passed, a
    discard after the write)."""

    code = "case_import_not_ready"
    default_detail = _("The import is not in a state that allows this.")


class MatchRunNotDone(Conflict):
    code = "match_run_not_done"
    default_detail = _("The run has not finished: read its status, and its results once done.")


class TableRefused(ValidationFailed):
    """An uploaded file that cannot be read as a table of the columns asked for: its code is
    the table reader's (``empty_file``, ``missing_columns``, ``cell_too_long``...) and its
    message, under ``file``, names the row and the column, never a cell's content."""

    def __init__(self, error: TableError, *, field: str = "file") -> None:
        super().__init__(error.message, fields={field: [error.message]}, code=error.code)
        self.row = error.row
        self.column = error.column


class FileTooLarge(RequestTooLarge):
    """An upload over the table reader's size limit (413), refused before it is read."""

    code = "file_too_large"
    default_detail = _("The file is over the size limit.")

    @classmethod
    def over_limit(cls) -> FileTooLarge:
        message = gettext("The file is over the size limit of %(limit)s bytes.") % {
            "limit": limit("MAX_FILE_BYTES")
        }
        return cls(message, fields={"file": [message]})
