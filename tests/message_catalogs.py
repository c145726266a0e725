"""The Ukrainian catalog as the tests read it (with Babel: no GNU gettext needed), and the
marker of the tests that need every entry of it translated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings

CATALOG = Path(settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES"


def read_catalog(path: Path, locale: str = "uk") -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def english_texts(message: Message) -> list[str]:
    """A message's English: its id, and its plural's."""
    ids = message.id if isinstance(message.id, list | tuple) else (message.id,)
    return [text for text in ids if text]


def translations(message: Message) -> list[str]:
    strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
    return [text for text in strings if text]


def is_translated(message: Message) -> bool:
    """Translated and not fuzzy (what the compiled catalog holds), every plural form included."""
    strings: Any = message.string
    if message.fuzzy:
        return False
    if isinstance(strings, list | tuple):
        return bool(strings) and all(strings)
    return bool(strings)


def describe(message: Message) -> str:
    context = f" (context {message.context!r})" if message.context else ""
    return f"{english_texts(message)[0]!r}{context}"
