"""Pages rendered in Ukrainian show none of the project's English.

A superuser (browser asking for Ukrainian) and a caseworker (who chose Ukrainian on their
account, browser asking for English) open the admin index and, for every model of the project
on the admin site they may see, its list, its add form and one change form. The visible text
(text nodes and the labels assistive technology reads; not scripts, styles or the values of
records, such as names) must contain no English msgid of the project's catalog and no English
word taken from those msgids, beyond technical names. API errors answered with
``Accept-Language: uk`` are held to the same rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_set
from tests.factories.accounts import UserFactory, make_api_key
from tests.factories.cases import make_case, make_relative, make_whereabouts
from tests.factories.sources import make_evidence, make_source
from tests.message_catalogs import (
    CATALOG,
    english_texts,
    read_catalog,
    translations,
)

pytestmark = pytest.mark.django_db


# Latin words a Ukrainian page may show: names of standards, formats and products, and units.
TECHNICAL_WORDS = frozenset(
    {
        "alpha",  # ISO 3166-1 alpha-2
        "api",
        "ascii",
        "cyrl",  # ISO 15924 script codes
        "latn",
        "null",  # JSON
        "csv",
        "django",
        "docx",
        "e-mail",
        "email",
        "html",
        "http",
        "https",
        "iso",
        "json",
        "otp",
        "pdf",
        "res",  # United Nations document symbols: A/RES/...
        "sha",
        "totp",
        "url",
        "utf",
        "uuid",
        "xlsx",
    }
)
# Placeholders, markup and code (identifiers, paths, JSON, slugs) are not words a person reads.
_NOT_PROSE = re.compile(
    r"%\([^)]*\)[a-z]|%[a-z]|\{[^}]*\}|<[^>]+>|`[^`]*`|&[a-z]+;"
    r"|\S*\w[._/]\w\S*|\b[a-z]+(?:-[a-z]+){2,}\b"
)
_CODE_BLOCK = re.compile(r"\{[^}]*\}|`[^`]*`")
# Django's admin shows these as written (alt texts of its icons: ``_boolean_icon`` and the
# search form), in every language; the registry cannot translate them.
DJANGO_LITERALS = frozenset({"True", "False", "None", "Search"})
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
# What a person reads besides text nodes: these attributes are shown or spoken.
_READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
_UNREAD_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def _english_of_the_project() -> tuple[set[str], set[str]]:
    """The catalog's English msgids (lower case) and the English words they are made of;
    technical names (``TECHNICAL_WORDS``) are not English."""
    msgids: set[str] = set()
    words: set[str] = set()
    for message in read_catalog(CATALOG / "django.po"):
        for text in english_texts(message):
            prose = _NOT_PROSE.sub(" ", text)
            found = {word.lower() for word in _WORD.findall(prose) if len(word) > 2}
            if found - TECHNICAL_WORDS:
                msgids.add(" ".join(prose.split()).lower())
                words.update(found - TECHNICAL_WORDS)
    return msgids, words


def _djangos_own_texts() -> re.Pattern[str]:
    """What Django's own catalogs say with Latin letters, in English and in Ukrainian, longest
    first: Django's texts are Django's to translate (its Ukrainian keeps "Control", "LDAP" and
    the like), not the project's."""
    import django

    texts: set[str] = set()
    root = Path(django.__file__).parent
    for po in root.glob("**/locale/uk/LC_MESSAGES/django.po"):
        for message in read_catalog(po):
            texts.update(
                " ".join(text.split()) for text in english_texts(message) + translations(message)
            )
    return _any_of(text for text in texts if _WORD.search(text))


def _any_of(texts: Iterable[str]) -> re.Pattern[str]:
    """Any of ``texts`` as whole words, the longest first."""
    alternatives = "|".join(re.escape(text) for text in sorted(set(texts), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


class _VisibleText(HTMLParser):
    """The text a person sees or hears on a page, minus what is marked as another language
    (the language switch names English in English, ``lang="en"``)."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (element, its text is not to be read)
        self.texts: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        lang = attributes.get("lang")
        skip = (
            self.skipping
            or tag in _UNREAD_ELEMENTS
            or (lang is not None and not lang.startswith(self.language) and tag != "html")
        )
        if not skip:
            self.texts.extend(value for name in _READ_ATTRIBUTES if (value := attributes.get(name)))
        if tag not in _VOID_ELEMENTS:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(data)


def _data_values() -> re.Pattern[str]:
    """The text values of every record in the database (names, titles, usernames, seeded
    reference data, JSON details): shown as entered, in whatever language they were written."""
    values: set[str] = set()
    for model in apps.get_models():
        text_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if field.get_internal_type() in {"CharField", "TextField", "SlugField", "EmailField"}
        ]
        json_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if field.get_internal_type() == "JSONField"
        ]
        for row in model._default_manager.all()[:2000]:
            for language in ("en", "uk"):  # a record's name may be made of translated labels
                with translation.override(language):
                    values.add(str(row))
            values.update(str(getattr(row, name) or "") for name in text_fields)
            for name in json_fields:
                value = getattr(row, name)
                if value:
                    values.add(json.dumps(value))
                    values.add(json.dumps(value, ensure_ascii=False))
    return _any_of(value.strip() for value in values if len(value.strip()) > 1)


def _is_english(text: str, english: tuple[set[str], set[str]]) -> bool:
    msgids, words = english
    prose = " ".join(_NOT_PROSE.sub(" ", text).split())
    if prose.lower() in msgids:
        return True
    # Names a text shows as code (``{field: [before, after]}``) stay code where it repeats them.
    code = {word.lower() for block in _CODE_BLOCK.findall(text) for word in _WORD.findall(block)}
    return any(
        part in words and part not in code
        for word in _WORD.findall(prose)
        for part in (word.lower(), *word.lower().split("-"))
    )


def _is_json(text: str) -> bool:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def english_on(
    html: str,
    *,
    data: re.Pattern[str],
    english: tuple[set[str], set[str]],
    djangos: re.Pattern[str] = re.compile(r"(?!)"),
) -> list[str]:
    """The visible texts of ``html`` that are, or contain, the project's English (Django's own
    texts, ``djangos``, left to Django)."""
    parser = _VisibleText("uk")
    parser.feed(html)
    found = []
    for text in parser.texts:
        shown = " ".join(text.split())
        if not _is_english(shown, english) or shown in DJANGO_LITERALS or _is_json(shown):
            continue
        if djangos.fullmatch(shown):
            continue
        shown = " ".join(djangos.sub(" ", data.sub(" ", shown)).split())
        if shown and _is_english(shown, english):
            found.append(shown)
    return found


def test_english_finder_reads_what_a_person_reads():
    english = ({"save and continue"}, {"case", "status", "save", "continue"})
    html = (
        '<html lang="uk"><head><title>Справа</title><style>.case {}</style></head><body>'
        '<script>var status = "case";</script><p title="Case">Статус</p><br>'
        '<button lang="en">Case</button><p>Справа Olena Case-free</p>'
        '<span aria-label="Status of the case">x</span><p>Save and continue</p></body></html>'
    )

    found = english_on(html, data=re.compile("Olena"), english=english)

    assert found == ["Case", "Справа Case-free", "Status of the case", "Save and continue"]
    assert english_on("<p>Справа Olena</p>", data=re.compile("Olena"), english=english) == []


def _records_to_show() -> None:
    """One of each of the main records, so every change form has a row to open."""
    case = make_case()
    make_relative(case)
    make_whereabouts(case)
    make_evidence(make_source(), case)
    make_api_key(name="Партнерська система")


def _project_app_labels() -> set[str]:
    root = Path(settings.BASE_DIR).resolve()
    return {
        app.label
        for app in apps.get_app_configs()
        if Path(app.path).resolve().is_relative_to(root)
        and "site-packages" not in Path(app.path).parts
    }


def _admin_pages(client: Client, user: Any) -> Iterator[str]:
    """The admin index, and each project model's list, add form and first change form that
    ``user`` may open."""
    yield reverse("admin:index")
    request = RequestFactory().get("/admin/")
    request.user = user
    project_apps = _project_app_labels()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in project_apps:
            continue
        if not model_admin.has_view_or_change_permission(request):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        try:
            changelist = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        yield changelist
        if model_admin.has_add_permission(request):
            yield reverse("admin:{}_{}_add".format(*info))
        first = model_admin.get_queryset(request).first()
        if first is not None and model_admin.has_view_or_change_permission(request, first):
            yield reverse("admin:{}_{}_change".format(*info), args=[first.pk])


@pytest.mark.parametrize("who", ["superuser", "caseworker"])
def test_admin_pages_in_ukrainian_show_no_english_of_the_project(who, home):
    _records_to_show()
    if who == "superuser":
        user = UserFactory.create(username="admin-uk", is_superuser=True)
        browser_language = "uk"
    else:
        user = UserFactory.create(username="worker-uk", language="uk")
        membership_set(user=user, organization=home, role=Role.CASEWORKER)
        browser_language = "en"  # the account's choice wins
    client = Client()
    client.force_login(user)
    english = _english_of_the_project()
    djangos = _djangos_own_texts()
    data = _data_values()

    found: dict[str, list[str]] = {}
    opened = 0
    for url in _admin_pages(client, user):
        response = client.get(url, follow=True, headers={"accept-language": browser_language})
        assert response.status_code == 200, url
        opened += 1
        html = response.content.decode()
        assert '<html lang="uk"' in html, url
        if shown := english_on(html, data=data, english=english, djangos=djangos):
            found[url] = sorted(set(shown))

    assert opened > 20
    assert found == {}, "\n".join(f"{url}: {texts}" for url, texts in found.items())


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/cases/?status=zzz", None),
        ("get", "/api/v1/cases/?unknown_parameter=1", None),
        ("get", "/api/v1/cases/999999/", None),
        ("post", "/api/v1/cases/", {"child": {}}),
    ],
)
def test_api_errors_in_ukrainian_show_no_english_of_the_project(method, path, body, user):
    client = APIClient()
    client.force_authenticate(user)
    english = _english_of_the_project()

    response = getattr(client, method)(path, body, format="json", HTTP_ACCEPT_LANGUAGE="uk")
    assert 400 <= response.status_code < 500
    texts = list(_error_texts(response.json()))
    assert texts
    # The names and values the client typed are quoted back as typed.
    typed = _any_of(re.findall(r"[\w.-]+", path.partition("?")[2]) + list(body or {}))

    assert [text for text in texts if _is_english(typed.sub(" ", text), english)] == []


def _error_texts(body: Any) -> Iterator[str]:
    """The messages of an error body: its ``detail`` and each field's messages (not its
    ``code`` or field names, which a client reads, not a person)."""
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            yield body["detail"]
        if "fields" in body:
            yield from _error_texts(body["fields"])
        for key, value in body.items():
            if key not in {"detail", "code", "fields"} and isinstance(value, list | dict):
                yield from _error_texts(value)
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, str):
                yield item
            else:
                yield from _error_texts(item)
