"""Text, title, language and publication date from a received document.

``extract_text(path, media_type)`` reads PDF (pypdf), DOCX (python-docx), HTML (BeautifulSoup)
and plain text or Markdown. It never raises on a bad file: a corrupt or unreadable document gives
``status="failed"`` with a short error, so the file is still kept (the original is the evidence;
its text is a convenience). What could not be read well is said in ``warnings``.

The title comes from the document's own metadata first (PDF ``/Title``, DOCX core properties,
HTML ``og:title`` and ``<title>``), then its first heading or line. The language is detected from
the text; the publication date from HTML metadata, then from the text: after a "published" marker
in any of the sources' languages, else the first full date at the top of the document. A date
before 1990 or in the future is not a publication date of these sources: it is left empty with a
warning, like a date that cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import TextExtraction

# Longer text is cut: enough for search and reading, bounded for the database and memory.
MAX_TEXT_CHARS = 2_000_000
# A text file holds at most 4 bytes per character; reading more than this cannot add text.
MAX_TEXT_BYTES = MAX_TEXT_CHARS * 4
MAX_TITLE_CHARS = 300
MAX_ERROR_CHARS = 200
# Language detection reads the start of the text, and needs enough letters to be right.
LANGUAGE_SAMPLE_CHARS = 5_000
MIN_LETTERS_FOR_LANGUAGE = 40
# A date "at the top of the document" is within this many characters of its start.
TOP_OF_DOCUMENT_CHARS = 1_500
# Markers are looked for this far into the text (some sites put them in a footer).
MARKER_SEARCH_CHARS = 50_000
MAX_MARKERS = 5
# The sources are about the war since 2014; an earlier "publication date" is a misreading.
EARLIEST_PUBLICATION = date(1990, 1, 1)
# Languages whose date words are always understood, whatever the text's detected language.
DATE_LANGUAGES = ("uk", "ru", "en", "tr")

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


@dataclass
class ExtractionResult:
    """What a document says about itself. ``status`` is a ``TextExtraction`` value: ``done``,
    ``failed`` (``error`` says why) or ``none`` (a type without text, e.g. a photo)."""

    text: str = ""
    status: str = TextExtraction.NONE.value
    error: str = ""
    title: str = ""
    language: str = ""
    published_on: date | None = None
    warnings: list[str] = field(default_factory=list)


class _Unreadable(Exception):
    """The document cannot be read; the message is the short reason shown to people."""


# --- entry point -------------------------------------------------------------------------------


def extract_text(path: Path, media_type: str) -> ExtractionResult:
    """Read ``path`` (a local file whose type, detected from its content, is ``media_type``)."""
    media_type = media_type.split(";", 1)[0].strip().lower()
    result = ExtractionResult()
    declared_date: _DateFinding | None = None
    declared_language = ""
    try:
        if media_type == PDF:
            text, title = _pdf(path, result.warnings)
        elif media_type == DOCX:
            text, title = _docx(path, result.warnings)
        elif media_type in HTML_TYPES or (
            media_type.startswith("text/") and _looks_like_html(path)
        ):
            text, title, declared_date, declared_language = _html(path, result.warnings)
        elif media_type.startswith("text/"):
            # Markdown is plain text here: its first heading is its first line, "#" dropped.
            text, title, declared_date = _plain(path, result.warnings)
        else:
            return result  # a photo, a video, a spreadsheet: no text to read
    except _Unreadable as exc:
        result.status = TextExtraction.FAILED.value
        result.error = _short(str(exc))
        return result
    except Exception as exc:
        # The parsers read untrusted files and raise anything on a malformed one (KeyError,
        # RecursionError, zlib errors...); the file is kept all the same, its text marked failed.
        result.status = TextExtraction.FAILED.value
        result.error = _short(_("the file could not be read (%(error)s)") % {"error": _name(exc)})
        return result

    text = _normalize(text)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        result.warnings.append(
            _("the text was cut to its first %(count)s characters") % {"count": MAX_TEXT_CHARS}
        )
    if not text:
        result.warnings.append(_("no text found in the document (a scan without a text layer?)"))
    result.text = text
    result.status = TextExtraction.DONE.value
    result.title = _clean_title(title) or _first_line_title(text)
    result.language = language_detect(text) or declared_language
    try:
        result.published_on = _publication_date(
            text, result.language, declared=declared_date, warnings=result.warnings
        )
    except Exception as exc:
        # dateparser reads untrusted text too; the text is kept without a date.
        result.warnings.append(
            _("the publication date could not be looked for (%(error)s)")
            % {"error": type(exc).__name__}
        )
    return result


def _name(exc: BaseException, *, with_message: bool = False) -> str:
    """The error's kind, and its message only when asked: messages of other libraries can quote
    a path or the document itself."""
    message = str(exc).strip() if with_message else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 1] + "…"


# --- formats -----------------------------------------------------------------------------------


def _pdf(path: Path, warnings: list[str]) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Unreadable(_("the PDF is encrypted with a password"))
        metadata = reader.metadata
        pages = reader.pages
        page_count = len(pages)
    except (PdfReadError, OSError, ValueError) as exc:
        # pypdf's messages describe the PDF's structure ("EOF marker not found"), never its text.
        error = _name(exc, with_message=isinstance(exc, PyPdfError))
        raise _Unreadable(_("not a readable PDF (%(error)s)") % {"error": error}) from exc
    title = str(metadata.title or "") if metadata is not None else ""
    if _looks_like_file_name(title):
        title = ""  # "Microsoft Word - report.docx": the producer's label, not a title
    texts: list[str] = []
    length = 0
    unreadable_pages: list[int] = []
    for number in range(page_count):
        try:
            page_text = pages[number].extract_text() or ""
        except Exception:
            # One bad page (a broken font or stream) must not lose the others' text.
            unreadable_pages.append(number + 1)
            continue
        texts.append(page_text)
        length += len(page_text)
        if length > MAX_TEXT_CHARS:
            break  # the rest would be cut anyway
    if page_count and len(unreadable_pages) == page_count:
        raise _Unreadable(_("no page of the PDF could be read"))
    if unreadable_pages:
        warnings.append(
            _("the text of page(s) %(pages)s could not be read")
            % {"pages": ", ".join(map(str, unreadable_pages[:20]))}
        )
    return "\n\n".join(texts), title


def _docx(path: Path, warnings: list[str]) -> tuple[str, str]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _Unreadable(_("not a readable DOCX (%(error)s)") % {"error": _name(exc)}) from exc
    title = document.core_properties.title or ""
    heading = ""
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_docx_table_rows(block))
            lines.append("")
            continue
        text = block.text
        style = (block.style.name or "") if block.style is not None else ""
        if not heading and text.strip() and style.startswith(("Title", "Heading")):
            heading = text
        lines.append(text)
    return "\n".join(lines), title or heading


def _docx_table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell appears once per grid column it spans: keep it once.
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            yield " | ".join(cells)


def _read_bytes(path: Path, warnings: list[str]) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        warnings.append(
            _("only the first %(count)s bytes of the file were read") % {"count": MAX_TEXT_BYTES}
        )
        data = data[:MAX_TEXT_BYTES]
    return data


def _decode(data: bytes, warnings: list[str]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Older Ukrainian and Russian documents are often in Windows-1251.
    warnings.append(_("the text is not UTF-8; it was read as Windows-1251"))
    return data.decode("cp1251", errors="replace")


_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)


def _looks_like_html(path: Path) -> bool:
    """Text detection cannot always tell HTML from plain text: the name and the start help."""
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    with path.open("rb") as handle:
        start = handle.read(2048)
    return bool(_HTML_START.match(start.lstrip(b"\xef\xbb\xbf")))


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


def _plain(path: Path, warnings: list[str]) -> tuple[str, str, _DateFinding | None]:
    text = _decode(_read_bytes(path, warnings), warnings)
    title = ""
    declared: _DateFinding | None = None
    front = _FRONT_MATTER.match(text)
    if front is not None:
        # Markdown's YAML front matter is the document's own metadata: "title:" and "date:".
        for line in front.group(1).splitlines():
            key, _sep, value = line.partition(":")
            value = value.strip().strip("'\"")
            if key.strip().lower() == "title" and value:
                title = value
            elif key.strip().lower() in {"date", "published"} and value:
                declared = _DateFinding(raw=value)
        text = text[front.end() :]
    if not title:
        title = _markdown_heading(text)
    return text, title, declared


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(\S.*)$")
# A heading further down is a section's, not the document's.
HEADING_SEARCH_LINES = 10


def _markdown_heading(text: str) -> str:
    """The first Markdown heading near the top (after a logo or a badge line, say), or ""."""
    lines = [line for line in text.splitlines() if line.strip()][:HEADING_SEARCH_LINES]
    for line in lines:
        if match := _ATX_HEADING.match(line):
            return match.group(1)
    return ""


# Elements that start a new line of text.
_BLOCK_TAGS = (  # noqa: SIM905
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul"
).split()
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head")
_DATE_META = (
    ("property", "article:published_time"),
    ("property", "og:published_time"),
    ("itemprop", "datePublished"),
)
_DATE_META_NAMES = ("date", "pubdate", "publishdate", "dc.date", "dc.date.issued", "dcterms.issued")


def _html(path: Path, warnings: list[str]) -> tuple[str, str, _DateFinding | None, str]:
    from bs4 import BeautifulSoup, Tag

    # The stdlib parser: no C extension to trust with hostile markup, and bs4 finds the
    # encoding from the bytes (BOM, <meta charset>) by itself.
    soup = BeautifulSoup(_read_bytes(path, warnings), "html.parser")

    def meta(attribute: str, value: str) -> str:
        found = soup.find("meta", attrs={attribute: re.compile(f"^{re.escape(value)}$", re.I)})
        content = found.get("content") if isinstance(found, Tag) else None
        return content.strip() if isinstance(content, str) else ""

    title = meta("property", "og:title")
    if not title and soup.title is not None:
        title = soup.title.get_text(" ")
    h1 = soup.find("h1")
    if not title.strip() and isinstance(h1, Tag):
        title = h1.get_text(" ")

    raw_date = ""
    for attribute, value in _DATE_META:
        raw_date = raw_date or meta(attribute, value)
    if not raw_date:
        time_tag = soup.find("time", attrs={"datetime": True})
        if isinstance(time_tag, Tag):
            raw_date = str(time_tag.get("datetime") or "").strip()
    for name in _DATE_META_NAMES:
        raw_date = raw_date or meta("name", name)
    declared = _DateFinding(raw=raw_date) if raw_date else None

    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    declared_language = _iso639_1(lang) if isinstance(lang, str) else ""

    for tag in soup.find_all(_INVISIBLE_TAGS):
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(["td", "th"]):
        tag.append(" | ")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.append("\n")
    text = soup.get_text()
    text = "\n".join(line.rstrip(" |") for line in text.splitlines())
    return text, title, declared, declared_language


# --- text helpers ------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    """One space between words, at most one empty line between paragraphs, no NUL (which
    PostgreSQL cannot store in text)."""
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _clean_title(title: str) -> str:
    # A document's metadata may hold a NUL (a PDF string can), which PostgreSQL cannot store.
    title = " ".join(title.replace("\x00", "").split()).strip(" #*_=|-–—")
    if len(title) > MAX_TITLE_CHARS:
        cut = title[: MAX_TITLE_CHARS - 1]
        title = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return title


def _first_line_title(text: str) -> str:
    for line in text.splitlines():
        title = _clean_title(line)
        if title:
            return title
    return ""


def _looks_like_file_name(title: str) -> bool:
    lowered = title.strip().lower()
    return lowered in {"", "untitled", "title"} or bool(
        re.search(r"\.(docx?|pdf|odt|rtf|txt|indd|xlsx?)$", lowered)
    )


# --- language ----------------------------------------------------------------------------------


def language_detect(text: str) -> str:
    """The ISO 639-1 code of the text's language, or "" when there are too few letters to tell
    (or the detector cannot decide)."""
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS_FOR_LANGUAGE:
        return ""
    DetectorFactory.seed = 0  # langdetect is random unless seeded: the same text, the same answer
    try:
        candidates = detect_langs(sample)
    except LangDetectException:
        return ""
    if not candidates or candidates[0].prob < 0.5:
        return ""
    return _iso639_1(candidates[0].lang)


def _iso639_1(code: str) -> str:
    """``zh-cn`` → ``zh``, ``uk-UA`` → ``uk``; "" for anything that is not a two-letter code."""
    code = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else ""


# --- publication date --------------------------------------------------------------------------


@dataclass
class _DateFinding:
    raw: str


# A marker starts a line, or is followed by a colon: "published by the ministry" is not one.
_MARKER_WORDS = (
    r"published(?:\s+on)?|posted(?:\s+on)?|publication\s+date|date\s+of\s+publication|"
    r"опубліковано|оприлюднено|дата\s+публікації|дата\s+оприлюднення|"
    r"опубликовано|дата\s+публикации|размещено|"
    r"yay[ıi]nlanma(?:\s+tarihi)?|yay[ıi]mlanma(?:\s+tarihi)?|yay[ıi]n\s+tarihi|"
    r"publié\s+le|veröffentlicht(?:\s+am)?|opublikowano|data\s+publikacji|publicado(?:\s+el)?"
)
_MARKER = re.compile(
    rf"(?:^[ \t]*(?:{_MARKER_WORDS})\b[ \t]*:?|(?:{_MARKER_WORDS})[ \t]*:)",
    re.IGNORECASE | re.MULTILINE,
)
MARKER_SNIPPET_CHARS = 80


def _date_settings(language: str) -> dict[str, Any]:
    return {
        "PREFER_DATES_FROM": "past",
        # A day, a month and a year: "2024" or "March" alone is not a publication date.
        "REQUIRE_PARTS": ["day", "month", "year"],
        # Relative words ("yesterday") mean nothing once the document is stored.
        "PARSERS": ["custom-formats", "absolute-time"],
        "RETURN_AS_TIMEZONE_AWARE": False,
        # 07.11.2022 is the 7th of November everywhere the sources come from, except in English.
        **({} if language == "en" else {"DATE_ORDER": "DMY"}),
    }


def _date_languages(language: str) -> list[str]:
    from dateparser.data.languages_info import language_order

    wanted = [language, *DATE_LANGUAGES] if language else list(DATE_LANGUAGES)
    known = set(language_order)
    return [code for i, code in enumerate(wanted) if code in known and code not in wanted[:i]]


def _search_dates(text: str, language: str) -> list[date]:
    from dateparser.search import search_dates

    found = search_dates(
        text, languages=_date_languages(language), settings=_date_settings(language)
    )
    return [moment.date() for _words, moment in found or []]


def _parse_declared(raw: str, language: str) -> date | None:
    """A date from metadata: ISO 8601 as sites write it, else whatever dateparser reads."""
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        pass
    found = _search_dates(raw, language)
    return found[0] if found else None


def _implausible(found: date) -> str:
    """Why ``found`` cannot be a publication date, or ""."""
    if found < EARLIEST_PUBLICATION:
        return _("the publication date %(date)s is before %(earliest)s; it was left empty") % {
            "date": found.isoformat(),
            "earliest": EARLIEST_PUBLICATION.year,
        }
    if found > timezone.localdate():
        return _("the publication date %(date)s is in the future; it was left empty") % {
            "date": found.isoformat()
        }
    return ""


def _unreadable_date() -> str:
    return _("the document gives a publication date that could not be read; it was left empty")


def _publication_date(
    text: str, language: str, *, declared: _DateFinding | None, warnings: list[str]
) -> date | None:
    """The date the document says it was published, or None (with a warning when it gives one
    that cannot be read or cannot be right)."""
    problem = ""
    # 1. The document's metadata (HTML meta and <time>, Markdown front matter).
    if declared is not None:
        found = _parse_declared(declared.raw, language)
        if found is None:
            problem = _unreadable_date()
        elif not (problem := _implausible(found)):
            return found
    # 2. A date right after a "published" marker: the document saying so in its own words.
    markers = list(_MARKER.finditer(text[:MARKER_SEARCH_CHARS]))[:MAX_MARKERS]
    if markers:
        for marker in markers:
            snippet = text[marker.end() : marker.end() + MARKER_SNIPPET_CHARS]
            dates = _search_dates(snippet, language)
            if dates:
                if not (implausible := _implausible(dates[0])):
                    return dates[0]
                problem = problem or implausible
        # A marker whose date cannot be read: another date further down is more likely an
        # event's than the publication's, so the date is left empty rather than guessed.
        warnings.append(problem or _unreadable_date())
        return None
    # 3. The first full date at the top of the document (a dateline, a letterhead).
    for found in _search_dates(text[:TOP_OF_DOCUMENT_CHARS], language):
        if not (implausible := _implausible(found)):
            return found  # earlier misreadings do not matter: a plausible date was found
        problem = problem or implausible
    if problem:
        warnings.append(problem)
    return None
