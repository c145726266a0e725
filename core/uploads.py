"""Receiving uploaded files: streamed to a temporary file, never to memory, with a size limit
that holds before and while the body is read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.http import HttpRequest

# What a multipart body may carry besides the file itself: the boundaries, the part headers
# and the other fields. A body announcing more than the limit plus this is refused unread.
MULTIPART_ALLOWANCE = 256 * 1024


class UploadSizeLimitHandler(FileUploadHandler):
    """The first upload handler: refuses (``refuse()``, a 413) a body whose
    ``Content-Length`` announces more than ``limit`` bytes before a byte of it is read, and a
    file that grows past it while it streams (a client may announce less than it sends, or
    send chunks). It passes every chunk on to the next handler."""

    def __init__(
        self, request: HttpRequest, *, limit: int, refuse: Callable[[], Exception]
    ) -> None:
        super().__init__(request)
        self.limit = limit
        self.refuse = refuse

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > self.limit + MULTIPART_ALLOWANCE:
            raise self.refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            raise self.refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the temporary-file handler after this one makes the file


def use_streaming_upload_handlers(
    request: HttpRequest, *, limit: int, refuse: Callable[[], Exception]
) -> None:
    """Set the request's upload handlers before anything reads its body (the session
    authentication's CSRF check reads a form body too): files always go to a temporary file
    under ``limit`` bytes."""
    request.upload_handlers = [
        UploadSizeLimitHandler(request, limit=limit, refuse=refuse),
        TemporaryFileUploadHandler(request),
    ]
