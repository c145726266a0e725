"""Errors of imports and match runs, all ``DomainError`` subclasses mapped by ``core.errors``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound, RequestTooLarge, ValidationFailed

from .tabular import TableError


class CaseImportNotFound(NotFound):
    code = "case_import_not_found"
    default_detail = _("No such case import.")


class CaseImportNotReady(Conflict):
    """The import is not in a state that allows this (a commit before the check passed, a
    discard after the write)."""

    code = "case_import_not_ready"
    default_detail = _("The import is not in a state that allows this.")


class TableRefused(ValidationFailed):
    """The uploaded file cannot be read as a table of the columns asked for: its code is the
    table reader's (``empty_file``, ``missing_columns``, ``cell_too_long``...) and its message
    names the row and the column, never a cell's content."""

    def __init__(self, error: TableError, *, field: str = "file") -> None:
        super().__init__(error.message, fields={field: [error.message]}, code=error.code)
        self.row = error.row
        self.column = error.column


class ImportFileTooLarge(RequestTooLarge):
    code = "file_too_large"
    default_detail = _("The file is over the size limit of an import.")
