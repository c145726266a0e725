"""Errors of sources and evidence, all ``DomainError`` subclasses mapped by ``core.errors``.

Messages name limits, media types, ids and hashes, never a file's name or content (a file name
can carry a child's name).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import Conflict, DomainError, NotFound


class SourceNotFound(NotFound):
    code = "source_not_found"
    default_detail = _("No such source.")


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"
    default_detail = _("No such evidence link.")


class SourceHasNoFile(NotFound):
    """The source is known by its URL or words only: there is nothing to download."""

    code = "source_has_no_file"
    default_detail = _("This source has no file.")


class SourceFileMissing(DomainError):
    """The source was received with a file that storage no longer holds (410: it existed and is
    gone; the integrity check flags it and tells the administrators)."""

    status_code = status.HTTP_410_GONE
    code = "source_file_missing"
    default_detail = _(
        "The file of this source is missing from storage; the administrators have been told."
    )


class FileTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        message = gettext("The file is larger than the limit of %(size)s (%(bytes)s bytes).") % {
            "size": filesizeformat(limit),
            "bytes": limit,
        }
        super().__init__(message, fields={"file": [message]})


class UnsupportedMediaType(DomainError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"

    def __init__(self, *, detected: str, allowed: Iterable[str]) -> None:
        self.detected = detected
        self.allowed = tuple(allowed)
        message = gettext(
            "Files of type %(detected)s are not accepted (the type is read from the content, "
            "not the name). Accepted: %(allowed)s."
        ) % {"detected": detected, "allowed": ", ".join(self.allowed)}
        super().__init__(message, fields={"file": [message]})


class EvidenceExists(Conflict):
    code = "evidence_exists"
    default_detail = _("This source is already linked to this fact of the case at the same place.")


class SourceHeldElsewhere(Conflict):
    """Identical content is in the registry, in a source the uploader may not see: neither a
    second copy nor the other source's description is given."""

    code = "source_held_elsewhere"
    default_detail = _(
        "Identical content is already in the registry, in a source you cannot see; no "
        "second copy was stored. Ask an administrator, or the organization that holds it, "
        "to link it to a case you see."
    )
