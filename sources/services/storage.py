"""Storing and hashing files: a received file streams once through SHA-256 into a temporary
file, is checked (size, type read from the content), then saved under a name made of its hash;
identical content is one source. A stored file is opened only here, with its custody recorded."""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from audit import services as audit
from audit.models import Action as AuditAction
from core.errors import ValidationFailed

from .. import selectors
from ..detection import detect_media_type
from ..exceptions import (
    FileTooLarge,
    SourceFileMissing,
    SourceHasNoFile,
    SourceHeldElsewhere,
    SourceNotFound,
)
from ..extraction import ExtractionResult, extract_text
from ..models import CustodyAction, Source, TextExtraction, sources_storage
from .checks import Actor
from .custody import custody_record
from .source_records import LANGUAGE_RE, SOURCE_FIELDS, _source_check, _source_draft

logger = logging.getLogger(__name__)


# Files are read, hashed and written in pieces of this size, never whole.
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Received:
    """A file as it arrived: a temporary copy, its hash and its size."""

    path: Path
    sha256: str
    size: int


def upload_single(files: list[Any], *, field: str = "file") -> Any | None:
    """The one file sent in an upload's ``field``, or None. Several are refused: keeping one and
    dropping the others would answer "received" for a half-received request, whichever door
    (the API, the admin's upload page) it came through."""
    if len(files) > 1:
        raise ValidationFailed.on(field, _("Send one file: each document is a source of its own."))
    return files[0] if files else None


def storage_name(sha256: str) -> str:
    """Where content with this hash is stored: ``ab/cd/abcd…`` (no name, no extension: the
    stored name says nothing about the document)."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_of(fileobj: IO[bytes] | Any) -> str:
    """The SHA-256 of a file object, read in chunks from its start; it is rewound after."""
    _rewind(fileobj)
    digest = hashlib.sha256()
    while chunk := fileobj.read(CHUNK_BYTES):
        digest.update(chunk)
    _rewind(fileobj)
    return digest.hexdigest()


def _rewind(fileobj: Any) -> None:
    seekable = getattr(fileobj, "seekable", None)
    if callable(seekable) and seekable():
        fileobj.seek(0)


@contextmanager
def _spooled(fileobj: IO[bytes] | Any, *, limit: int, suffix: str) -> Iterator[_Received]:
    """Copy ``fileobj`` to a temporary file in chunks, hashing and counting as it goes; refuse
    it as soon as it passes ``limit`` bytes. The copy is removed on leaving."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (removed in ``finally``)
        prefix="source-", suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
    )
    path = Path(handle.name)
    try:
        digest = hashlib.sha256()
        size = 0
        with handle:
            _rewind(fileobj)
            while chunk := fileobj.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(limit=limit)
                digest.update(chunk)
                handle.write(chunk)
        yield _Received(path=path, sha256=digest.hexdigest(), size=size)
    finally:
        path.unlink(missing_ok=True)


def _hash_stored(storage: Storage, name: str) -> str:
    """The SHA-256 of a stored file, read in chunks (``FileNotFoundError`` when it is gone)."""
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        while chunk := stored.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _store(received: _Received) -> tuple[str, bool]:
    """Save the file under its hash: ``(the name storage holds it under, whether this call wrote
    it)``."""
    storage = sources_storage()
    name = storage_name(received.sha256)
    # A receipt whose transaction rolled back (or a concurrent one) may have left the same
    # content there already: it is kept, not copied twice. Anything else under the name is
    # left alone, and storage picks another name for this file.
    if storage.exists(name):
        try:
            if _hash_stored(storage, name) == received.sha256:
                return name, False
        except FileNotFoundError:
            pass
    with received.path.open("rb") as handle:
        return storage.save(name, File(handle)), True


def _discard(name: str) -> None:
    """Remove a file this receipt wrote and no source holds (its write failed, or a concurrent
    receipt of the same content kept its own copy), so storage keeps no file without a record."""
    try:
        sources_storage().delete(name)
    except OSError:
        logger.warning("source_file_not_discarded name=%s", name)


def _stored_name(source: Source) -> str:
    return str(source.file.name or "")


def _file_name(filename: str) -> str:
    """The name the file was sent with, without any folder, at most 255 characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        suffix = PurePosixPath(name).suffix[:20]
        name = name[: 255 - len(suffix)] + suffix
    return name


def _temp_suffix(filename: str) -> str:
    """The extension for the temporary copy: the text reader tells Markdown from plain text by
    it (the type itself is read from the content)."""
    suffix = PurePosixPath(filename).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def _extract(path: Path, media_type: str) -> ExtractionResult:
    try:
        return extract_text(path, media_type)
    except Exception as exc:
        # The text is a convenience and the original is the evidence: whatever the document
        # parsers raise on a hostile file, the file is kept with its extraction marked failed.
        logger.warning(
            "source_text_extraction_crashed media_type=%s error=%s",
            media_type,
            type(exc).__name__,
        )
        return ExtractionResult(
            status=TextExtraction.FAILED,
            error=_("the text could not be read (%(error)s)") % {"error": type(exc).__name__},
        )


def _title_from(filename: str) -> str:
    stem = PurePosixPath(filename).stem if filename else ""
    return " ".join(stem.split())[:500] or _("Untitled source")


def _receive_again(source: Source, *, actor: Actor, received: _Received) -> Source:
    """Identical content received once more: no second copy, one more link in the chain.

    Content already held in a source the actor may not see is refused (``SourceHeldElsewhere``):
    neither a second copy nor the other source, and nothing is written to its chain."""
    if actor is not None and not selectors.source_is_visible(actor=actor, source=source):
        raise SourceHeldElsewhere()
    custody_record(
        source=source,
        action=CustodyAction.RECEIVED,
        actor=actor,
        sha256_seen=received.sha256,
        note=_("Received again (identical content); the existing source was kept."),
    )
    logger.info("source_received_again source_id=%s", source.pk)
    return source


@transaction.atomic
def _source_store(
    *,
    received: _Received,
    media_type: str,
    extraction: ExtractionResult | None,
    draft: Source,
    data: Mapping[str, Any],
    filename: str,
    actor: Actor,
    name: str,
) -> tuple[Source, bool]:
    source = draft
    source.file = name
    source.sha256 = received.sha256
    source.size = received.size
    source.media_type = media_type
    source.original_filename = filename
    if extraction is not None:
        source.extracted_text = extraction.text.replace("\x00", "")
        source.text_extraction = extraction.status
        source.text_extraction_error = (extraction.error or "")[:300]
        # What the document says about itself fills what the sender did not give.
        if not data.get("title") and extraction.title:
            source.title = " ".join(extraction.title.split())[:500]
        if not data.get("language") and LANGUAGE_RE.match(extraction.language or ""):
            source.language = extraction.language
        found = extraction.published_on
        if not data.get("published_on") and found is not None and found <= timezone.localdate():
            source.published_on = found
    try:
        # A savepoint: a concurrent receipt of the same content may win the unique hash.
        with transaction.atomic():
            source.save()
    except IntegrityError:
        existing = selectors.source_by_sha256(sha256=received.sha256)
        if existing is None:
            raise
        return _receive_again(existing, actor=actor, received=received), False
    custody_record(
        source=source,
        action=CustodyAction.RECEIVED,
        actor=actor,
        sha256_seen=received.sha256,
    )
    audit.record_create(source, actor=actor, organization=source.organization_id)
    logger.info(
        "source_received source_id=%s size=%s media_type=%s extraction=%s",
        source.pk,
        source.size,
        media_type,
        source.text_extraction,
    )
    return source, True


def source_receive(
    *,
    fileobj: IO[bytes] | Any,
    filename: str,
    actor: Actor,
    organization: Organization | None = None,
    data: Mapping[str, Any] | None = None,
    extract: bool = True,
    extraction: ExtractionResult | None = None,
    is_synthetic: bool = False,
) -> tuple[Source, bool]:
    """Receive a file: ``(source, created)``.

    The file streams once, in chunks, through SHA-256 into a temporary copy (never whole in
    memory); past ``SOURCES_MAX_UPLOAD_BYTES`` it is refused (``FileTooLarge``, 413) and nothing
    is kept. Content already received returns that source (``created`` False, no second copy)
    and records a ``received`` custody event noting the receipt. Otherwise its type is read from
    the content (``UnsupportedMediaType``, 415, when not accepted), it is saved under its hash,
    its text extracted (``extract``; an ``extraction`` computed by the caller is used as is),
    and the source is written with a ``received`` custody event and an audit event.

    ``data``: kind (default other), title (default: the document's own, else the file name),
    publisher, author, language, published_on, retrieved_at, url.

    Not one transaction: reading, checking and parsing the file run before the writes, which
    are atomic, so a slow document does not hold a transaction open.
    """
    data = dict(data or {})
    draft = _source_draft(
        actor=actor,
        organization=organization,
        data=data,
        allowed=SOURCE_FIELDS,
        is_synthetic=is_synthetic,
    )
    filename = _file_name(filename)
    limit = int(settings.SOURCES_MAX_UPLOAD_BYTES)
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise FileTooLarge(limit=limit)
    # The metadata is checked before the file is read: a bad date costs no upload.
    if not draft.title:
        draft.title = _title_from(filename)
    _source_check(draft)

    with _spooled(fileobj, limit=limit, suffix=_temp_suffix(filename)) as received:
        existing = selectors.source_by_sha256(sha256=received.sha256)
        if existing is not None:
            return _receive_again(existing, actor=actor, received=received), False
        media_type = detect_media_type(received.path)
        if extraction is None and extract:
            extraction = _extract(received.path, media_type)
        name, written = _store(received)
        try:
            source, created = _source_store(
                received=received,
                media_type=media_type,
                extraction=extraction,
                draft=draft,
                data=data,
                filename=filename,
                actor=actor,
                name=name,
            )
        except BaseException:
            # The record was not written (its transaction rolled back): neither is the file.
            if written:
                _discard(name)
            raise
        if written and _stored_name(source) != name:
            _discard(name)  # identical content received at the same time kept its own copy
        return source, created


@transaction.atomic
def source_open(*, source: Source, actor: Actor) -> tuple[File[Any], Source]:
    """Open a source's file for download: ``(file, source)``, the caller closes the file.

    Checks that ``actor`` sees the source (``SourceNotFound``, 404), that it has a file
    (``SourceHasNoFile``, 404) and that storage still holds it (``SourceFileMissing``, 410);
    records a ``downloaded`` custody event with the hash the file was stored under and a
    ``download`` audit event. The events are written only if the file opens.
    """
    if actor is not None and not selectors.source_is_visible(actor=actor, source=source):
        raise SourceNotFound()
    if not source.file:
        raise SourceHasNoFile()
    storage = sources_storage()
    name = _stored_name(source)
    if not storage.exists(name):
        logger.warning("source_file_missing source_id=%s", source.pk)
        raise SourceFileMissing()
    custody_record(
        source=source, action=CustodyAction.DOWNLOADED, actor=actor, sha256_seen=source.sha256
    )
    audit.record(
        AuditAction.DOWNLOAD,
        actor=actor,
        instance=source,
        metadata={"sha256": source.sha256, "size": source.size, "media_type": source.media_type},
    )
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as exc:  # gone between the check and the opening
        raise SourceFileMissing() from exc
    return handle, source
