"""The imports app's errors: a file refused as unreadable or too large, a run not ready."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, RequestTooLarge, ValidationFailed

from .tabular import TableError


class FileRefused(ValidationFailed):
    """An uploaded table that cannot be read: the table reader's code, and its message under
    ``file`` (naming the row and the column, never a cell)."""

    code = "file_refused"
    default_detail = _("The file cannot be read.")

    @classmethod
    def of(cls, error: TableError, *, field: str = "file") -> FileRefused:
        return cls(error.message, fields={field: [error.message]}, code=error.code)


class FileTooLarge(RequestTooLarge):
    code = "file_too_large"
    default_detail = _("The file is over the size limit.")

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        message = _("The file is over the limit of %(limit)s bytes.") % {"limit": limit}
        super().__init__(message, fields={"file": [message]}, **kwargs)


class MatchRunNotDone(Conflict):
    code = "match_run_not_done"
    default_detail = _("The run has not finished: read its status, and its results once done.")
