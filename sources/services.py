"""Every write to sources, evidence and the chain of custody. The API, the admin, the import
command, seeds and tasks call these (published figures: ``sources.figures``).

Files: a received file streams once through SHA-256 into a temporary file, is checked (size,
type read from the content), then saved through the storage API under a name made of its hash.
Identical content is one source. Originals are never modified; every receipt, download and
integrity check is a custody event, and every written row records one audit event.

Error messages, log lines and e-mails name ids, hashes, sizes and media types, never a file's
name or content (either can carry a child's name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from tqdm import tqdm

from accounts.models import Organization, User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from accounts.services import ActingRefusals, acting_organization
from audit import context as audit_context
from audit import services as audit
from audit.models import Action as AuditAction
from cases.exceptions import CaseNotFound
from cases.models import Case
from cases.selectors import case_can, case_scope
from core.errors import PermissionDenied, ValidationFailed, django_validation_fields

from . import selectors
from .detection import detect_media_type
from .exceptions import (
    EvidenceExists,
    EvidenceNotFound,
    FileTooLarge,
    SourceFileMissing,
    SourceHasNoFile,
    SourceHeldElsewhere,
    SourceNotFound,
)
from .extraction import ExtractionResult, extract_text
from .models import (
    Credibility,
    CustodyAction,
    CustodyEvent,
    Evidence,
    Integrity,
    Reliability,
    Source,
    SourceKind,
    TextExtraction,
    sources_storage,
)

logger = logging.getLogger(__name__)

# ``None`` is the system itself (seeds, imports, tasks): it is not bound by roles.
Actor = User | None

# Files are read, hashed and written in pieces of this size, never whole.
CHUNK_BYTES = 64 * 1024

# What describes a source; the file's own columns (hash, size, type, name) are set on receipt only.
SOURCE_FIELDS: frozenset[str] = frozenset(
    {"kind", "title", "publisher", "author", "language", "published_on", "retrieved_at", "url"}
)
# A source without a file may be given its words (a statement known by its text).
RECORD_FIELDS: frozenset[str] = SOURCE_FIELDS | {"extracted_text"}
EVIDENCE_FIELDS: frozenset[str] = frozenset({"fact", "page", "excerpt", "time_reference", "note"})
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
INTEGRITY_FAILURES = frozenset({Integrity.ALTERED, Integrity.MISSING})


# ---------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------
def _raise(errors: Mapping[str, list[str]]) -> None:
    if errors:
        name, messages = next(iter(errors.items()))
        detail = messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
        raise ValidationFailed(detail, fields=errors)


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("This field cannot be set here.")] for name in unknown},
        )


def _clean_fields(instance: Any, errors: dict[str, list[str]], *, exclude: Iterable[str]) -> None:
    """The model's field checks (choices, lengths, URL, dates), each error under its field. The
    CHECK constraints hold by construction and are left to the database."""
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except DjangoValidationError as exc:
        for name, messages in django_validation_fields(exc).items():
            errors.setdefault(name, []).extend(messages)


def _assign(instance: Any, data: Mapping[str, Any]) -> None:
    """Set the given fields; an empty value empties a text field and clears a date."""
    for name, value in data.items():
        if name in _NULLABLE:
            value = None if value in (None, "") else value
        elif value is None:
            value = ""
        setattr(instance, name, value)


_NULLABLE = frozenset({"published_on", "retrieved_at"})


def _not_in_future(errors: dict[str, list[str]], name: str, value: Any) -> None:
    if isinstance(value, dt.datetime):
        future = value > timezone.now()
    elif isinstance(value, dt.date):
        future = value > timezone.localdate()
    else:
        return
    if future:
        errors.setdefault(name, []).append(_("Cannot be in the future."))


_RECEIVING = ActingRefusals(
    no_role=_lazy("Your role does not allow receiving sources."),
    several=_lazy("You belong to several organizations; say which one receives the source."),
    not_here=_lazy("You may not receive sources for this organization."),
)


def _receiving_organization(actor: Actor, organization: Organization | None) -> Organization | None:
    """The organization a new source is received by: the one given, where the actor may write
    cases or submit them (partners), or the actor's only such organization. The system and
    superusers may receive for none (public reporting)."""
    return acting_organization(
        actor=actor,
        organization=organization,
        capabilities=(Capability.CASE_WRITE, Capability.CASE_CREATE),
        refusals=_RECEIVING,
    )


def _require_source_write(actor: Actor, source: Source, *, judging: bool = False) -> None:
    """Changing or judging a source takes CASE_WRITE in an organization it belongs to (the one
    that received it, or one whose case it supports); any CASE_WRITE holder may judge a public
    source. Out of sight: 404; seen but not allowed: 403."""
    if actor is None:
        return
    roles = actor_roles(actor)
    if roles.is_superuser:
        return
    if not selectors.source_is_visible(actor=actor, source=source):
        raise SourceNotFound()
    writers = set(roles.organizations(Capability.CASE_WRITE))
    if writers and (
        (judging and source.is_public) or writers & selectors.source_organizations(source=source)
    ):
        return
    raise PermissionDenied(_("Your role does not allow changing this source."))


def _require_case_write(actor: Actor, case: Case) -> None:
    if actor is None or case_can(actor, Capability.CASE_WRITE, case):
        return
    if case_scope(actor=actor, case_id=case.pk) is None:
        raise CaseNotFound()
    raise PermissionDenied(_("Your role does not allow linking evidence to this case."))


def _lock_source(source_id: int) -> Source:
    try:
        return Source.objects.select_for_update().get(pk=source_id)
    except Source.DoesNotExist as exc:
        raise SourceNotFound() from exc


# ---------------------------------------------------------------------------------------------
# Chain of custody
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def custody_record(
    *, source: Source, action: str, actor: Actor, sha256_seen: str = "", note: str = ""
) -> CustodyEvent:
    """Append one event to a source's chain of custody, with the request it came from."""
    ctx = audit_context.current()
    return CustodyEvent.objects.create(
        source=source,
        action=action,
        actor=actor if actor is not None else ctx.actor(),
        sha256_seen=sha256_seen,
        note=note,
        request_id=ctx.request_id[:64],
    )


# ---------------------------------------------------------------------------------------------
# Receiving files
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Received:
    """A file as it arrived: a temporary copy, its hash and its size."""

    path: Path
    sha256: str
    size: int


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


def _store(received: _Received) -> str:
    """Save the file under its hash; return the name storage holds it under."""
    storage = sources_storage()
    name = storage_name(received.sha256)
    # A receipt whose transaction rolled back (or a concurrent one) may have left the same
    # content there already: it is kept, not copied twice. Anything else under the name is
    # left alone, and storage picks another name for this file.
    if storage.exists(name):
        try:
            if _hash_stored(storage, name) == received.sha256:
                return name
        except FileNotFoundError:
            pass
    with received.path.open("rb") as handle:
        return storage.save(name, File(handle))


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


def _source_check(source: Source) -> None:
    """Normalise and check a source's descriptive fields (400 naming each field)."""
    source.title = " ".join((source.title or "").split())
    source.language = (source.language or "").strip().lower()
    for name in ("publisher", "author", "url"):
        setattr(source, name, (getattr(source, name) or "").strip())
    errors: dict[str, list[str]] = {}
    _clean_fields(
        source,
        errors,
        exclude=[
            "organization",
            "created_by",
            "reliability_judged_by",
            "credibility_judged_by",
            "file",
            "extracted_text",
        ],
    )
    if source.language and not LANGUAGE_RE.match(source.language):
        errors.setdefault("language", []).append(
            _("Give an ISO 639-1 code of two letters, e.g. uk, en, ru.")
        )
    if "published_on" not in errors:
        _not_in_future(errors, "published_on", source.published_on)
    if "retrieved_at" not in errors:
        _not_in_future(errors, "retrieved_at", source.retrieved_at)
    _raise(errors)


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
) -> tuple[Source, bool]:
    name = _store(received)
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
    _reject_unknown(data, SOURCE_FIELDS)
    receiving = _receiving_organization(actor, organization)
    filename = _file_name(filename)
    limit = int(settings.SOURCES_MAX_UPLOAD_BYTES)
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise FileTooLarge(limit=limit)
    # The metadata is checked before the file is read: a bad date costs no upload.
    draft = Source(
        kind=SourceKind.OTHER,
        organization=receiving,
        created_by=actor,
        is_synthetic=is_synthetic,
    )
    _assign(draft, data)
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
        return _source_store(
            received=received,
            media_type=media_type,
            extraction=extraction,
            draft=draft,
            data=data,
            filename=filename,
            actor=actor,
        )


# ---------------------------------------------------------------------------------------------
# Sources without files, changes, judgements
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def source_record(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    organization: Organization | None = None,
    is_synthetic: bool = False,
) -> Source:
    """Record a source without a file: an article known by its URL, a statement by its words.

    ``data``: kind (default other), title (required), publisher, author, language,
    published_on, retrieved_at, url, extracted_text (its words, if given).
    """
    data = dict(data)
    _reject_unknown(data, RECORD_FIELDS)
    receiving = _receiving_organization(actor, organization)
    source = Source(
        kind=SourceKind.OTHER,
        organization=receiving,
        created_by=actor,
        is_synthetic=is_synthetic,
    )
    _assign(source, data)
    source.extracted_text = (source.extracted_text or "").replace("\x00", "").strip()
    _source_check(source)
    source.save()
    audit.record_create(source, actor=actor, organization=receiving)
    return source


@transaction.atomic
def source_update(*, source: Source, actor: Actor, data: Mapping[str, Any]) -> Source:
    """Change what describes a source (its file, hash and text never change)."""
    data = dict(data)
    _reject_unknown(data, SOURCE_FIELDS)
    locked = _lock_source(source.pk)
    _require_source_write(actor, locked)
    before = audit.snapshot(locked)
    _assign(locked, data)
    _source_check(locked)
    locked.save()
    audit.record_update(locked, before, actor=actor)
    return locked


@transaction.atomic
def source_judge(
    *,
    source: Source,
    actor: Actor,
    reliability: str | None = None,
    credibility: int | None = None,
) -> Source:
    """Judge a source on the admiralty scale: its reliability (A–F) and the credibility of its
    information (1–6), each recorded with who judged it and when. ``None`` leaves one as is."""
    locked = _lock_source(source.pk)
    _require_source_write(actor, locked, judging=True)
    errors: dict[str, list[str]] = {}
    if reliability is None and credibility is None:
        errors["non_field_errors"] = [_("Give a reliability, a credibility, or both.")]
    if reliability is not None and reliability not in Reliability.values:
        errors["reliability"] = [_("Choose one of A, B, C, D, E, F.")]
    if credibility is not None and (
        isinstance(credibility, bool) or credibility not in Credibility.values
    ):
        errors["credibility"] = [_("Choose one of 1 to 6.")]
    _raise(errors)
    fields = [
        "reliability",
        "reliability_judged_by",
        "reliability_judged_at",
        "credibility",
        "credibility_judged_by",
        "credibility_judged_at",
    ]
    before = audit.snapshot(locked, fields=fields)
    now = timezone.now()
    if reliability is not None:
        locked.reliability = reliability
        locked.reliability_judged_by = actor
        locked.reliability_judged_at = now
    if credibility is not None:
        locked.credibility = credibility
        locked.credibility_judged_by = actor
        locked.credibility_judged_at = now
    locked.save(update_fields=[*fields, "updated_at"])
    audit.record_update(locked, before, actor=actor)
    return locked


@transaction.atomic
def source_change(
    *,
    source: Source,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
    reliability: str | None = None,
    credibility: int | None = None,
) -> Source:
    """``source_update`` and ``source_judge`` in one transaction (the API's partial update):
    the metadata in ``data`` if any, then the judgement if one is given."""
    if data:
        source = source_update(source=source, actor=actor, data=data)
    if reliability is not None or credibility is not None:
        source = source_judge(
            source=source, actor=actor, reliability=reliability, credibility=credibility
        )
    return source


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Evidence links
# ---------------------------------------------------------------------------------------------
def _evidence_check(evidence: Evidence) -> None:
    for name in ("page", "excerpt", "time_reference", "note"):
        setattr(evidence, name, (getattr(evidence, name) or "").strip())
    errors: dict[str, list[str]] = {}
    _clean_fields(evidence, errors, exclude=["source", "case", "created_by"])
    _raise(errors)


def _evidence_exists(evidence: Evidence) -> bool:
    return (
        Evidence.objects.filter(
            source_id=evidence.source_id,
            case_id=evidence.case_id,
            fact=evidence.fact,
            page=evidence.page,
            time_reference=evidence.time_reference,
        )
        .exclude(pk=evidence.pk)
        .exists()
    )


def _evidence_save(evidence: Evidence) -> None:
    if _evidence_exists(evidence):
        raise EvidenceExists(fields={"fact": [EvidenceExists.default_detail]})
    try:
        with transaction.atomic():
            evidence.save()
    except IntegrityError as exc:  # a concurrent link to the same place won
        raise EvidenceExists() from exc


@transaction.atomic
def evidence_link(
    *,
    source: Source,
    case: Case,
    actor: Actor,
    fact: str,
    page: str = "",
    excerpt: str = "",
    time_reference: str = "",
    note: str = "",
) -> Evidence:
    """Link a source to a case as evidence of a fact, with where in the source it says so.
    Takes CASE_WRITE on the case; the source must be one the actor sees. The source then
    becomes visible to everyone who sees the case in full."""
    _require_case_write(actor, case)
    if actor is not None and not selectors.source_is_visible(actor=actor, source=source):
        raise SourceNotFound()
    evidence = Evidence(
        source=source,
        case=case,
        fact=fact,
        page=page,
        excerpt=excerpt,
        time_reference=time_reference,
        note=note,
        created_by=actor,
    )
    _evidence_check(evidence)
    _evidence_save(evidence)
    audit.record_create(evidence, actor=actor, organization=case.organization_id)
    return evidence


def _lock_evidence(evidence: Evidence, actor: Actor) -> Evidence:
    try:
        locked = Evidence.objects.select_for_update().select_related("case").get(pk=evidence.pk)
    except Evidence.DoesNotExist as exc:
        raise EvidenceNotFound() from exc
    if (
        actor is not None
        and not selectors.evidence_visible_to(actor=actor).filter(pk=locked.pk).exists()
    ):
        raise EvidenceNotFound()
    _require_case_write(actor, locked.case)
    return locked


@transaction.atomic
def evidence_update(*, evidence: Evidence, actor: Actor, data: Mapping[str, Any]) -> Evidence:
    """Change what a link says (the fact, the place in the source, the note); its source and
    case never change: unlink and link anew."""
    data = dict(data)
    _reject_unknown(data, EVIDENCE_FIELDS)
    locked = _lock_evidence(evidence, actor)
    before = audit.snapshot(locked)
    _assign(locked, data)
    _evidence_check(locked)
    _evidence_save(locked)
    audit.record_update(locked, before, actor=actor, organization=locked.case.organization_id)
    return locked


@transaction.atomic
def evidence_unlink(*, evidence: Evidence, actor: Actor) -> None:
    """Remove a link (with an audit event of what it said). The source and its chain of
    custody stay."""
    locked = _lock_evidence(evidence, actor)
    audit.record_delete(locked, actor=actor, organization=locked.case.organization_id)
    locked.delete()


# ---------------------------------------------------------------------------------------------
# Integrity
# ---------------------------------------------------------------------------------------------
@dataclass
class VerifyReport:
    """What a run of the integrity check found, by source id."""

    ok: list[int] = field(default_factory=list)
    altered: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return len(self.ok) + len(self.altered) + len(self.missing)

    @property
    def failed(self) -> int:
        return len(self.altered) + len(self.missing)

    def add(self, source_id: int, state: str) -> None:
        {Integrity.OK: self.ok, Integrity.ALTERED: self.altered, Integrity.MISSING: self.missing}[
            Integrity(state)
        ].append(source_id)

    def counts(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "ok": len(self.ok),
            "altered": len(self.altered),
            "missing": len(self.missing),
        }


def _hash_now(source: Source) -> tuple[str | None, str]:
    """``(hash, note)``: the stored file's hash now, or ``None`` and why it could not be read."""
    storage = sources_storage()
    name = _stored_name(source)
    try:
        if not storage.exists(name):
            return None, _("The file is missing from storage.")
        return _hash_stored(storage, name), ""
    except FileNotFoundError:
        return None, _("The file is missing from storage.")
    except OSError as exc:
        # Unreadable is as good as gone for evidence; the administrators are told either way.
        return None, _("The file could not be read (%(error)s).") % {"error": type(exc).__name__}


def source_verify(*, source: Source, actor: Actor = None) -> Integrity:
    """Re-hash a source's stored file (in chunks) and record what was found.

    - unchanged: ``ok``, a ``verified`` custody event (an audit event only when the state
      changes, e.g. the first check);
    - changed: ``altered``, an ``integrity_failure`` custody event with the hash seen, an audit
      event, and a notice to the administrators;
    - gone: ``missing``, the same with an empty hash.

    A source still broken in the same way as at the last check is not notified again: the
    state (``Source.integrity`` and the hash of the last failure) says it was already.
    The file is read outside the transaction; the row is locked only to record the result.
    """
    if not source.file:
        raise SourceHasNoFile()
    seen, note = _hash_now(source)
    return _integrity_record(source_id=source.pk, seen=seen, note=note, actor=actor)


@transaction.atomic
def _integrity_record(*, source_id: int, seen: str | None, note: str, actor: Actor) -> Integrity:
    locked = _lock_source(source_id)
    if seen is None:
        state = Integrity.MISSING
    elif seen == locked.sha256:
        state = Integrity.OK
    else:
        state = Integrity.ALTERED
    previous = locked.integrity
    before = audit.snapshot(locked, fields=["integrity"])
    locked.integrity = state
    locked.integrity_checked_at = timezone.now()
    locked.save(update_fields=["integrity", "integrity_checked_at"])

    if state == Integrity.OK:
        custody_record(
            source=locked, action=CustodyAction.VERIFIED, actor=actor, sha256_seen=seen or ""
        )
        audit.record_update(locked, before, actor=actor)
        if previous in INTEGRITY_FAILURES:
            logger.warning("source_integrity_restored source_id=%s", source_id)
        return state

    last = selectors.source_last_integrity_failure(source=locked)
    already_told = previous == state and last is not None and last.sha256_seen == (seen or "")
    custody_record(
        source=locked,
        action=CustodyAction.INTEGRITY_FAILURE,
        actor=actor,
        sha256_seen=seen or "",
        note=note or _("The content no longer matches the hash it was received with."),
    )
    audit.record(
        AuditAction.UPDATE,
        actor=actor,
        instance=locked,
        changes=audit.diff(before, audit.snapshot(locked, fields=["integrity"])) or None,
        metadata={
            "integrity": state,
            "expected_sha256": locked.sha256,
            "seen_sha256": seen or "",
            "administrators_notified": not already_told,
        },
    )
    logger.error(
        "source_integrity_failure source_id=%s integrity=%s expected=%s seen=%s notified=%s",
        source_id,
        state,
        locked.sha256,
        seen or "-",
        not already_told,
    )
    if not already_told:
        expected = locked.sha256
        transaction.on_commit(
            lambda: integrity_notice_send(
                source_id=source_id, state=state, expected=expected, seen=seen or ""
            )
        )
    return state


def integrity_notice_send(*, source_id: int, state: str, expected: str, seen: str) -> int:
    """E-mail the administrators (``ADMINS`` and active superusers) that a source failed its
    integrity check: its id and hashes only. Returns the number of recipients."""
    recipients = selectors.integrity_notice_recipients()
    if not recipients:
        logger.error("source_integrity_notice_no_recipients source_id=%s", source_id)
        return 0
    state_label = Integrity(state).label
    subject = f"{settings.EMAIL_SUBJECT_PREFIX}" + _(
        "Evidence integrity failure: source #%(id)s"
    ) % {"id": source_id}
    body = "\n".join(
        [
            _("Source #%(id)s failed its integrity check: %(state)s.")
            % {"id": source_id, "state": state_label},
            _("SHA-256 when received: %(hash)s") % {"hash": expected},
            _("SHA-256 now: %(hash)s") % {"hash": seen or _("(no file)")},
            "",
            _(
                "Do not rely on this file as evidence until the original is restored from a "
                "trusted copy. The chain of custody and the audit trail record the check."
            ),
        ]
    )
    try:
        send_mail(subject, body, settings.SERVER_EMAIL, recipients)
    except OSError as exc:  # SMTP errors are OSErrors: the failure is logged, the check stands
        logger.error(
            "source_integrity_notice_failed source_id=%s error=%s", source_id, type(exc).__name__
        )
        return 0
    return len(recipients)


def sources_verify(
    *,
    source_ids: Iterable[int] | None = None,
    progress: bool = False,
    progress_file: Any = None,
) -> VerifyReport:
    """Re-hash every stored file (or those of ``source_ids``), one source at a time."""
    ids = list(selectors.sources_with_files(source_ids=source_ids).values_list("pk", flat=True))
    report = VerifyReport()
    for source_id in tqdm(
        ids, disable=not progress, file=progress_file, unit=_("file"), desc=_("Verifying")
    ):
        source = selectors.sources_with_files(source_ids=[source_id]).first()
        if source is None:
            continue  # deleted since the list was read
        report.add(source_id, source_verify(source=source))
    logger.info(
        "sources_verified checked=%s ok=%s altered=%s missing=%s",
        report.checked,
        len(report.ok),
        len(report.altered),
        len(report.missing),
    )
    return report
