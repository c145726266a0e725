"""Import documents from files and folders: ``import_paths`` (the ``import_sources`` command).

Every file goes through ``sources.services.source_receive``, so an imported document is received
like an upload: hashed, its type read from its content, stored under its hash, a custody event
and an audit event written. Its hash decides whether it is already present: content received
before is reported as such and nothing is written (no source, no file, no custody event), so
re-running an import changes nothing.

Each file is read, checked and written on its own (its own transaction): one file's failure is
reported and the others go on. The report says per file what happened and why, with what could
not be read well (an unreadable date, a failed text extraction) as warnings.

File names appear in the report (the person importing chose them) but never in logs: a file
name can carry a child's name.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DataError, IntegrityError, models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from core.errors import DomainError

from . import selectors, services
from .detection import detect_media_type
from .exceptions import FileTooLarge, UnsupportedMediaType
from .extraction import ExtractionResult, extract_text
from .models import SourceKind, TextExtraction

if TYPE_CHECKING:
    from accounts.models import Organization, User

logger = logging.getLogger(__name__)

# What the import reads; other files are reported as skipped.
EXTENSIONS: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})
CHUNK_BYTES = 64 * 1024


class ImportOutcome(models.TextChoices):
    IMPORTED = "imported", gettext_lazy("imported")
    ALREADY_PRESENT = "already_present", gettext_lazy("already present")
    SKIPPED = "skipped", gettext_lazy("skipped")
    FAILED = "failed", gettext_lazy("failed")


@dataclass
class FileImport:
    """What happened to one file: its outcome, why (for skipped and failed files), the source
    it is (imported or already present) and what could not be read well."""

    path: Path
    outcome: str
    reason: str = ""
    source_id: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileImport] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Files per outcome, every outcome listed (zero included), in ``ImportOutcome`` order."""
        counts = dict.fromkeys(ImportOutcome.values, 0)
        for item in self.files:
            counts[item.outcome] += 1
        return counts

    @property
    def has_failures(self) -> bool:
        return any(item.outcome == ImportOutcome.FAILED for item in self.files)


def import_paths(
    paths: Iterable[Path],
    *,
    actor: User | None = None,
    organization: Organization | None = None,
    kind: str = SourceKind.OTHER,
    progress: bool = False,
) -> ImportReport:
    """Import the files named and those in the folders named (recursively, in name order,
    hidden files and folders left out). ``kind`` is given to every new source; the title,
    language and publication date come from each document."""
    if kind not in SourceKind.values:
        raise ValueError(f"Unknown source kind {kind!r}; use one of {SourceKind.values}.")
    report = ImportReport()
    found = list(_files(paths))
    # Log lines go above the progress bar instead of through it.
    with logging_redirect_tqdm() if progress else nullcontext():
        for path, problem in tqdm(found, disable=not progress, unit=_("file"), leave=False):
            if problem is not None:
                item = problem
            else:
                item = _import_file(path, actor=actor, organization=organization, kind=kind)
            logger.debug("source_import outcome=%s source_id=%s", item.outcome, item.source_id)
            report.files.append(item)
    logger.info(
        "source_import_done %s",
        " ".join(f"{outcome}={count}" for outcome, count in report.counts().items()),
    )
    return report


def _files(paths: Iterable[Path]) -> Iterator[tuple[Path, FileImport | None]]:
    """Each file to consider, with what stops it before it is read (or ``None``)."""
    seen: set[Path] = set()

    def once(path: Path) -> bool:
        key = path.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        given = Path(given)
        if given.is_dir():
            for root, folders, names in os.walk(given):
                folders[:] = sorted(name for name in folders if not name.startswith("."))
                for name in sorted(names):
                    path = Path(root) / name
                    if not name.startswith(".") and once(path):
                        yield path, _precheck(path)
        elif not given.exists():
            yield given, FileImport(given, ImportOutcome.FAILED, _("not found"))
        elif once(given):
            # Named on its own, a hidden file is imported: the person asked for it.
            yield given, _precheck(given)


def _precheck(path: Path) -> FileImport | None:
    """Refusals that need no reading: not a file, an extension not read, empty, too large."""
    if not path.is_file():
        return FileImport(path, ImportOutcome.SKIPPED, _("not a regular file"))
    if path.suffix.lower() not in EXTENSIONS:
        return FileImport(path, ImportOutcome.SKIPPED, _("unsupported extension"))
    try:
        size = path.stat().st_size
    except OSError as exc:
        return FileImport(path, ImportOutcome.FAILED, _unreadable(exc))
    if size == 0:
        return FileImport(path, ImportOutcome.SKIPPED, _("empty file"))
    limit = int(settings.SOURCES_MAX_UPLOAD_BYTES)
    if size > limit:
        return FileImport(path, ImportOutcome.FAILED, _too_large(limit))
    return None


def _import_file(
    path: Path, *, actor: User | None, organization: Organization | None, kind: str
) -> FileImport:
    try:
        existing = selectors.source_by_sha256(sha256=_sha256(path))
        if existing is not None:
            # Received before: nothing is written, not even a custody event, so an import
            # can be re-run over the same folders and change nothing.
            return FileImport(path, ImportOutcome.ALREADY_PRESENT, source_id=existing.pk)
        media_type = detect_media_type(path)
        extraction = extract_text(path, media_type)
        with transaction.atomic(), path.open("rb") as handle:
            source, created = services.source_receive(
                fileobj=handle,
                filename=path.name,
                actor=actor,
                organization=organization,
                data={"kind": kind},
                extraction=extraction,
            )
    except FileTooLarge as exc:
        return FileImport(path, ImportOutcome.FAILED, _too_large(exc.limit))
    except UnsupportedMediaType as exc:
        reason = _("type not allowed: %(type)s") % {"type": exc.detected}
        return FileImport(path, ImportOutcome.FAILED, reason)
    except DomainError as exc:
        return FileImport(path, ImportOutcome.FAILED, exc.detail)
    except OSError as exc:
        return FileImport(path, ImportOutcome.FAILED, _unreadable(exc))
    except (IntegrityError, DataError) as exc:
        # A refused row is this file's failure (a database that cannot be reached is everyone's:
        # that stops the import). The database's message may quote the data: only its kind is
        # logged.
        logger.warning("source_import_database_error error=%s", type(exc).__name__)
        return FileImport(path, ImportOutcome.FAILED, _("the database refused the source"))
    if not created:
        # Received by someone else between the hash check and the write.
        return FileImport(path, ImportOutcome.ALREADY_PRESENT, source_id=source.pk)
    return FileImport(
        path, ImportOutcome.IMPORTED, source_id=source.pk, warnings=_warnings(extraction)
    )


def _warnings(extraction: ExtractionResult) -> list[str]:
    warnings = list(extraction.warnings)
    if extraction.status == TextExtraction.FAILED:
        warnings.insert(0, _("text extraction failed: %(error)s") % {"error": extraction.error})
    return warnings


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _too_large(limit: int) -> str:
    return _("file too large (the limit is %(size)s)") % {"size": filesizeformat(limit)}


def _unreadable(exc: OSError) -> str:
    return _("could not be read: %(error)s") % {"error": exc.strerror or type(exc).__name__}
