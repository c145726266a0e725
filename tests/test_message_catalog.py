"""The Ukrainian catalog: the committed .mo is its .po compiled, every translation keeps its
message's placeholders, and every string of the project has a Ukrainian translation.

``make messages`` (GNU gettext) extracts the strings and compiles the catalog; most of these
tests read the catalogs with Babel alone, so a checkout without gettext runs the site and them.
The last extracts the strings again, into a copy of the catalog, so it needs xgettext
(``.ci/run`` installs gettext where it is missing).
"""

from __future__ import annotations

import gettext
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from django.conf import settings
from django.core.management import call_command

from tests.message_catalogs import (
    CATALOG,
    describe,
    is_translated,
    read_catalog,
)

# As the Makefile's ``messages`` target: what is not the project's own source.
MAKEMESSAGES_IGNORE = [".venv/*", "var/*", "build/*"]
_NOT_SOURCE = frozenset(name.removesuffix("/*") for name in MAKEMESSAGES_IGNORE)


def _po() -> Any:
    return read_catalog(CATALOG / "django.po")


def _translated(catalog: Any) -> dict[Any, Any]:
    """msgid -> msgstr of the messages with a translation (plural ones by their pair of ids,
    with the tuple of forms)."""
    found = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
        if isinstance(message.string, list | tuple):
            if any(message.string):
                found[msgid] = tuple(message.string)
        elif message.string:
            found[msgid] = message.string
    return found


def test_compiled_catalog_matches_the_po():
    """A .po edited without ``make messages`` leaves the site showing the old .mo: the two must
    hold the same messages (compared by content: git keeps no file times)."""
    po = _po()
    with open(CATALOG / "django.mo", "rb") as mo:
        compiled = read_mo(mo)
    # A fuzzy translation is left out of the compiled catalog: nobody would ever read it.
    assert [m.id for m in po if m.id and m.fuzzy] == []
    expected = _translated(po)
    assert len(expected) > 100
    assert _translated(compiled) == expected, "django.mo is not django.po compiled: make messages"


def test_compiled_catalog_header_has_the_ukrainian_plural_forms():
    with open(CATALOG / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    info = compiled.info()
    assert info["language"] == "uk"
    assert info["plural-forms"] == (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    )
    singular, plural = "Issued %(count)s report.", "Issued %(count)s reports."
    forms = [compiled.ngettext(singular, plural, n) for n in (1, 2, 5, 11, 21, 22, 25)]
    assert [f.split()[-1] for f in forms] == [
        "звіт.",
        "звіти.",
        "звітів.",
        "звітів.",
        "звіт.",
        "звіти.",
        "звітів.",
    ]


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")


def _placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text))


def test_every_translation_keeps_the_placeholders_of_its_message():
    wrong = {}
    for msgid, msgstr in _translated(_po()).items():
        if isinstance(msgid, tuple):
            singular, plural = msgid
            for form in msgstr:
                # Each form keeps the plural's placeholders (the count among them).
                if _placeholders(form) != _placeholders(plural) | _placeholders(singular):
                    wrong[msgid] = form
        elif _placeholders(msgstr) != _placeholders(msgid):
            wrong[msgid] = msgstr
    assert wrong == {}


def test_a_message_is_translated_only_with_every_form_and_no_fuzzy_flag(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: uk\\n"\n\n'
        'msgid "case"\nmsgstr "справа"\n\n'
        '#, fuzzy\nmsgid "case file"\nmsgstr "справи"\n\n'
        'msgid "status"\nmsgstr ""\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgstr "травень"\n\n'
        'msgid "%(n)d case"\nmsgid_plural "%(n)d cases"\n'
        'msgstr[0] "%(n)d справа"\nmsgstr[1] "%(n)d справи"\nmsgstr[2] ""\n',
        encoding="utf-8",
    )

    catalog = read_catalog(po)

    assert [describe(m) for m in catalog if m.id and not is_translated(m)] == [
        "'case file'",
        "'status'",
        "'%(n)d case'",
    ]
    assert [describe(m) for m in catalog if m.id and is_translated(m)] == [
        "'case'",
        "'May' (context 'month')",
    ]


def _extracted_catalog(tmp_path: Path) -> Any:
    """The project's strings as ``make messages`` extracts them, merged into a copy of the
    catalog; the working tree's catalog is left as it is.

    ``makemessages`` writes to every ``locale`` folder it meets under the folder it runs in,
    whatever ``LOCALE_PATHS`` says: it runs in a folder of links to the project's own folders
    and modules, ``locale`` left out, with the copy beside it."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext")
    locale = tmp_path / "locale"
    shutil.copytree(CATALOG, locale / "uk" / "LC_MESSAGES")
    sources = tmp_path / "sources"
    sources.mkdir()
    root = Path(settings.BASE_DIR)
    for entry in root.iterdir():
        if entry.name == "locale" or entry.name.startswith(".") or entry.name in _NOT_SOURCE:
            continue
        (sources / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(sources)
        patch.setattr(settings, "LOCALE_PATHS", [locale])
        call_command(
            "makemessages",
            locale=["uk"],
            ignore_patterns=MAKEMESSAGES_IGNORE,
            symlinks=True,
            verbosity=0,
        )
    return read_catalog(locale / "uk" / "LC_MESSAGES" / "django.po")


def test_every_project_string_has_a_ukrainian_translation(tmp_path):
    untranslated = [
        describe(message)
        for message in _extracted_catalog(tmp_path)
        if message.id and not is_translated(message)
    ]

    assert untranslated == [], (
        f"{len(untranslated)} of the project's strings have no Ukrainian translation (or only "
        "a fuzzy one): run `make messages` and translate them in locale/uk/LC_MESSAGES/"
        "django.po:\n" + "\n".join(untranslated)
    )
