"""An uploaded table read for a job (an import, a match run): its content as a ``Table``, or
the refusal the API answers with (413 over the size limit, else 400 naming the row and the
column)."""

from __future__ import annotations

from collections.abc import Sequence

from .exceptions import FileTooLarge, TableRefused
from .tabular import Column, Table, TableError, limit, read_table


def read_upload(content: bytes, columns: Sequence[Column]) -> Table:
    """``content`` read as a table of ``columns``; ``FileTooLarge`` or ``TableRefused``."""
    if len(content) > limit("MAX_FILE_BYTES"):
        raise FileTooLarge.over_limit()
    try:
        return read_table(content, columns)
    except TableError as error:
        if error.code == "file_too_large":
            raise FileTooLarge(error.message, fields={"file": [error.message]}) from None
        raise TableRefused(error) from None
