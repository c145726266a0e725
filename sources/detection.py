"""What a received file is, read from its content and never from its name, checked against the
allow-list.

- PDF, images, audio and video: by their magic numbers (``filetype``);
- DOCX and XLSX: a zip archive holding an Office Open XML package whose main part is a Word
  document or an Excel workbook (any other zip, macro-enabled documents included, is refused);
- HTML and plain text (Markdown is plain text): valid UTF-8 throughout, without control
  characters; HTML when it starts with markup.

``detect_media_type(path_or_head)`` returns an accepted media type or raises
``UnsupportedMediaType`` naming what was found; ``sniff_media_type`` only says what was found.
Given a path, the whole file is checked (office packages need their central directory at the end,
text must be UTF-8 to the last byte); given bytes, only those are (a head cut inside a character
is still text).
"""

from __future__ import annotations

import codecs
import os
import re
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import filetype
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .exceptions import UnsupportedMediaType

PathOrHead = str | os.PathLike[str] | bytes

# filetype looks at most this far into a file.
HEAD_BYTES = 8192
CHUNK_BYTES = 64 * 1024
# An Office package's list of parts is small; a larger one is not worth reading to accept it.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
TEXT = "text/plain"
HTML = "text/html"
ZIP = "application/zip"
EMPTY = "application/x-empty"
UNKNOWN = "application/octet-stream"

# The accepted types by family, with the names people know them by (for the refusal message).
FAMILIES: tuple[tuple[Promise, dict[str, str | Promise]], ...] = (
    (_("PDF"), {PDF: "PDF"}),
    (
        _("images"),
        {
            "image/jpeg": "JPEG",
            "image/png": "PNG",
            "image/apng": "APNG",
            "image/gif": "GIF",
            "image/webp": "WebP",
            "image/tiff": "TIFF",
            "image/bmp": "BMP",
            "image/heic": "HEIC",
            "image/avif": "AVIF",
            "image/jpx": "JPEG 2000",
            "image/x-canon-cr2": "Canon RAW",
        },
    ),
    (
        _("audio"),
        {
            "audio/mpeg": "MP3",
            "audio/aac": "AAC",
            "audio/mp4": "M4A",
            "audio/ogg": "Ogg",
            "audio/x-flac": "FLAC",
            "audio/x-wav": "WAV",
            "audio/amr": "AMR",
            "audio/x-aiff": "AIFF",
        },
    ),
    (
        _("video"),
        {
            "video/mp4": "MP4",
            "video/x-m4v": "M4V",
            "video/webm": "WebM",
            "video/x-matroska": "Matroska",
            "video/quicktime": "QuickTime",
            "video/x-msvideo": "AVI",
            "video/x-ms-wmv": "WMV",
            "video/mpeg": "MPEG",
            "video/3gpp": "3GP",
            "video/x-flv": "FLV",
        },
    ),
    (_("text"), {TEXT: _("plain text or Markdown, UTF-8"), HTML: _("HTML, UTF-8")}),
    (_("office documents"), {DOCX: "DOCX", XLSX: "XLSX"}),
)
ALLOWED: frozenset[str] = frozenset(t for _family, types in FAMILIES for t in types)
# Archives that may be an Office Open XML package (filetype guesses from the first entries).
_ZIP_TYPES = frozenset(
    {
        ZIP,
        DOCX,
        XLSX,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
# The content type of an OOXML package's main part, and what the package then is.
_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.ms-word.document.macroenabled.main+xml": DOCM,
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": XLSM,
}
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\b(PartName|ContentType)\s*=\s*["']([^"']*)["']""")
# C0 controls other than tab, line feed, vertical tab, form feed and carriage return, and DEL:
# binary data that happens to be valid UTF-8.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
# A fragment that starts with a tag and closes one of these is markup, not prose.
_HTML_FRAGMENT = re.compile(
    r"</(?:html|head|body|title|p|div|span|article|section|main|header|footer|table|ul|ol|li|"
    r"h[1-6]|a|em|strong)\s*>",
    re.IGNORECASE,
)


def allowed_description() -> list[str]:
    """The accepted types as people name them, one entry per family."""
    return [
        f"{family} ({', '.join(str(name) for name in types.values())})"
        if len(types) > 1
        else str(next(iter(types.values())))
        for family, types in FAMILIES
    ]


def detect_media_type(path_or_head: PathOrHead) -> str:
    """The accepted media type of a file (a path) or of the start of one (bytes); anything else
    raises ``UnsupportedMediaType`` naming the type found."""
    detected = sniff_media_type(path_or_head)
    if detected not in ALLOWED:
        raise UnsupportedMediaType(detected=detected, allowed=allowed_description())
    return detected


def sniff_media_type(path_or_head: PathOrHead) -> str:
    """The media type the content shows, accepted or not (``application/octet-stream`` when
    nothing is recognised, ``application/x-empty`` for an empty file)."""
    head = _head(path_or_head)
    if not head:
        return EMPTY
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in _ZIP_TYPES:
            # filetype guesses from the first entries; the package's part list decides.
            return _office_type(path_or_head) or (ZIP if kind.mime in ALLOWED else kind.mime)
        return str(kind.mime)
    return _text_type(path_or_head, head) or UNKNOWN


def _head(path_or_head: PathOrHead) -> bytes:
    if isinstance(path_or_head, bytes):
        return path_or_head[:HEAD_BYTES]
    with open(path_or_head, "rb") as handle:
        return handle.read(HEAD_BYTES)


def _office_type(path_or_head: PathOrHead) -> str | None:
    """DOCX, XLSX (or their macro-enabled kin, to name them when refusing) when the archive is
    an Office Open XML package with such a main part; ``None`` for any other zip."""
    archive: str | os.PathLike[str] | BinaryIO = (
        BytesIO(path_or_head) if isinstance(path_or_head, bytes) else path_or_head
    )
    try:
        with zipfile.ZipFile(archive) as package:
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                return None
            content_types = package.read(info)
            names = set(package.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, ValueError):
        # Not a zip, a zip cut short, no part list, an encrypted or unsupported entry.
        return None
    for match in _OVERRIDE.finditer(content_types):
        attributes = {
            key.decode(): value.decode("utf-8", "replace")
            for key, value in _ATTRIBUTE.findall(match.group(1))
        }
        found = _MAIN_PARTS.get(attributes.get("ContentType", "").strip().lower())
        if found and attributes.get("PartName", "").lstrip("/") in names:
            return found
    return None


def _text_type(path_or_head: PathOrHead, head: bytes) -> str | None:
    """HTML or plain text when the content is UTF-8 text without control characters."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        if isinstance(path_or_head, bytes):
            # Only a head: it may end inside a character, which is not an error.
            if _CONTROL.search(decoder.decode(path_or_head, final=False)):
                return None
        else:
            for chunk in _chunks(Path(path_or_head)):
                if _CONTROL.search(decoder.decode(chunk)):
                    return None
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    start = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if _HTML_START.match(start) or (
        start.lstrip().startswith("<") and _HTML_FRAGMENT.search(start)
    ):
        return HTML
    return TEXT


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
