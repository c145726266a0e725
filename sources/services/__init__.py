"""Every write to sources, evidence and the chain of custody. The API, the admin, the import
command, seeds and tasks call these (published figures: ``sources.figures``).

Files: a received file streams once through SHA-256 into a temporary file, is checked (size,
type read from the content), then saved through the storage API under a name made of its hash.
Identical content is one source. Originals are never modified; every receipt, download and
integrity check is a custody event, and every written row records one audit event.

Error messages, log lines and e-mails name ids, hashes, sizes and media types, never a file's
name or content (either can carry a child's name).

One module a job; the names are re-exported here, so callers import ``sources.services``.
"""

from __future__ import annotations

from .attach import Attached, evidence_attach
from .checks import Actor
from .custody import custody_record
from .evidence import EVIDENCE_FIELDS, evidence_link, evidence_unlink, evidence_update
from .integrity import (
    INTEGRITY_FAILURES,
    VerifyReport,
    integrity_notice_send,
    source_verify,
    sources_verify,
)
from .source_records import (
    LANGUAGE_RE,
    RECORD_FIELDS,
    SOURCE_FIELDS,
    source_change,
    source_judge,
    source_record,
    source_update,
)
from .storage import (
    CHUNK_BYTES,
    sha256_of,
    source_open,
    source_receive,
    storage_name,
    upload_single,
)

__all__ = [
    "CHUNK_BYTES",
    "EVIDENCE_FIELDS",
    "INTEGRITY_FAILURES",
    "LANGUAGE_RE",
    "RECORD_FIELDS",
    "SOURCE_FIELDS",
    "Actor",
    "Attached",
    "VerifyReport",
    "custody_record",
    "evidence_attach",
    "evidence_link",
    "evidence_unlink",
    "evidence_update",
    "integrity_notice_send",
    "sha256_of",
    "source_change",
    "source_judge",
    "source_open",
    "source_receive",
    "source_record",
    "source_update",
    "source_verify",
    "sources_verify",
    "storage_name",
    "upload_single",
]
