"""Factories for sources and evidence. Sources are received and recorded through the services,
so their hash, custody and audit events are real. All content is synthetic."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from accounts.models import Organization
from cases.models import Case
from sources import services
from sources.models import Evidence, Source

# A few lines of invented text: enough for the language to be detected.
SYNTHETIC_TEXT = (
    "Synthetic report on a residential facility.\n\n"
    "This invented text describes an inspection that never happened, written only to test "
    "how documents are received, hashed and stored by the registry.\n"
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def text_bytes(label: str = "", *, size: int | None = None) -> bytes:
    """UTF-8 text, distinct per ``label`` (so two calls are two sources); padded with lines to
    ``size`` bytes when given."""
    content = (f"{label}\n" if label else "").encode() + SYNTHETIC_TEXT.encode()
    if size is not None:
        filler = b"Synthetic filler line.\n"
        content += filler * ((size - len(content)) // len(filler) + 1)
        content = content[:size]
    return content


def ooxml_bytes(
    main_part: str, content_type: str, *, extra: dict[str, bytes] | None = None
) -> bytes:
    """A minimal Office Open XML package whose main part has ``content_type``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{main_part}" ContentType="{content_type}"/>'
            "</Types>",
        )
        package.writestr(main_part, "<synthetic/>")
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    return ooxml_bytes(
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "synthetic")
    return buffer.getvalue()


def receive(
    content: bytes | None = None,
    *,
    filename: str = "synthetic.txt",
    actor: Any = None,
    organization: Organization | None = None,
    **data: Any,
) -> Source:
    """Receive ``content`` (synthetic text by default) through the service."""
    source, _created = services.source_receive(
        fileobj=io.BytesIO(content if content is not None else text_bytes()),
        filename=filename,
        actor=actor,
        organization=organization,
        data=data,
        is_synthetic=True,
    )
    return source


def make_source(
    *, actor: Any = None, organization: Organization | None = None, **data: Any
) -> Source:
    """A source without a file (a testimony by default), recorded through the service."""
    data.setdefault("kind", "testimony")
    data.setdefault("title", "Synthetic testimony")
    return services.source_record(
        actor=actor, data=data, organization=organization, is_synthetic=True
    )


def make_evidence(
    source: Source, case: Case, *, actor: Any = None, fact: str = "deportation", **fields: Any
) -> Evidence:
    return services.evidence_link(source=source, case=case, actor=actor, fact=fact, **fields)
