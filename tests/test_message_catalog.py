"""The Ukrainian catalog: the committed .mo is its .po compiled, and every string of the project
has a Ukrainian translation.

``make messages`` (GNU gettext) extracts the strings and compiles the catalog; these tests read
the catalogs with Python alone (``tests.message_catalogs``), so a checkout without gettext runs
the site, and the first test, as CI does. The second extracts the strings again, into a copy of
the catalog, so it needs xgettext (``.ci/run`` installs gettext where it is missing).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.message_catalogs import (
    UNTIL_THE_CATALOG_IS_TRANSLATED,
    Entry,
    compiled_content,
    read_mo,
    read_po,
)

CATALOG = Path(settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES"
PO = CATALOG / "django.po"
MO = CATALOG / "django.mo"
# As the Makefile's ``messages`` target: what is not the project's own source.
MAKEMESSAGES_IGNORE = [".venv/*", "var/*", "build/*"]


def test_compiled_catalog_is_the_po_compiled():
    """A .po edited without ``make messages`` leaves the site showing the old .mo: the two must
    hold the same messages (compared by content: file times are not kept by git)."""
    expected = compiled_content(read_po(PO))
    compiled = read_mo(MO)

    missing = sorted(str(key) for key in expected.keys() - compiled.keys())
    stale = sorted(str(key) for key in compiled.keys() - expected.keys())
    different = sorted(
        str(key) for key in expected.keys() & compiled.keys() if expected[key] != compiled[key]
    )
    assert (missing, stale, different) == ([], [], []), (
        "locale/uk/LC_MESSAGES/django.mo is not django.po compiled: run `make messages`."
    )


def test_catalog_reader_tells_translated_from_fuzzy_and_untranslated(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: uk\\n"\n\n'
        '#: a.py:1\nmsgid "case"\nmsgstr "справа"\n\n'
        '#: a.py:2\n#, fuzzy\n#| msgid "cases"\nmsgid "case file"\nmsgstr "справи"\n\n'
        '#: a.py:3\nmsgid ""\n"two "\n"lines"\nmsgstr ""\n\n'
        '#: a.py:4\nmsgctxt "month"\nmsgid "May"\nmsgstr "травень"\n\n'
        '#: a.py:5\nmsgid "%(n)d case"\nmsgid_plural "%(n)d cases"\n'
        'msgstr[0] "%(n)d справа"\nmsgstr[1] "%(n)d справи"\nmsgstr[2] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "зникло"\n',
        encoding="utf-8",
    )

    entries = {entry.msgid: entry for entry in read_po(po)}

    translated = [msgid for msgid, entry in entries.items() if msgid and entry.translated]
    assert translated == ["case", "May"]
    assert entries["case file"].fuzzy
    assert entries["two lines"].msgstr == ""
    assert entries["May"].key == "month\x04May"
    assert entries["%(n)d case"].msgstr_plural == {0: "%(n)d справа", 1: "%(n)d справи", 2: ""}
    assert entries["gone"].obsolete
    assert compiled_content(list(entries.values())) == {"case": "справа", "month\x04May": "травень"}


def _extracted_catalog(tmp_path: Path) -> list[Entry]:
    """The project's strings as ``make messages`` extracts them, merged into a copy of the
    catalog (the working tree's catalog is left as it is)."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext")
    locale = tmp_path / "locale"
    shutil.copytree(CATALOG, locale / "uk" / "LC_MESSAGES")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(settings.BASE_DIR)
        patch.setattr(settings, "LOCALE_PATHS", [locale])
        call_command(
            "makemessages", locale=["uk"], ignore_patterns=MAKEMESSAGES_IGNORE, verbosity=0
        )
    return read_po(locale / "uk" / "LC_MESSAGES" / "django.po")


@UNTIL_THE_CATALOG_IS_TRANSLATED
def test_every_project_string_has_a_ukrainian_translation(tmp_path):
    untranslated = [
        entry.describe()
        for entry in _extracted_catalog(tmp_path)
        if entry.msgid and not entry.obsolete and not entry.translated
    ]

    assert untranslated == [], (
        f"{len(untranslated)} of the project's strings have no Ukrainian translation (or only "
        "a fuzzy one): run `make messages` and translate them in locale/uk/LC_MESSAGES/"
        "django.po:\n" + "\n".join(untranslated)
    )
