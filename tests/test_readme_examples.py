"""Every ``curl`` example in the README is a request the API answers with success.

The examples are read from the README's ``sh`` blocks and sent in the README's order, as one
story: the caseworker's token (``$AUTH``) opens case 1, changes and moves it, a supervisor
(``$SUPERVISOR_TOKEN``) decides its closure and shares it, the partner's API key (``$KEY``)
reads and submits, a coordinator (``$COORDINATOR_TOKEN``) records the coalition's work. The ids
the README names (case 1, source 7, share 1, meeting 1, ...) stand for the first record of that
kind the story made (or, for an organization, a facility, the second case a list names and the
seeded resolution, for the ones set up here: the coalition's seeds are loaded as ``load_seeds``
loads them). An example the API refuses fails this test: fix the example or the code. All data
is synthetic.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization
from cases import services
from coalition.models import Resolution
from coalition.seeding.lists import lists_load
from coalition.seeding.meetings import meetings_load
from coalition.seeding.members import members_load
from sources.models import sources_storage
from sources.seeding import public_reporting_load
from tests.factories.accounts import OrganizationFactory, make_api_key, make_member
from tests.factories.cases import FacilityFactory, home_organization, make_case
from tests.factories.reports import make_reminder
from tests.sources.files.documents import pdf_bytes

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"
API_BASE = "/api/v1"
# Flags of curl the examples may use that change nothing of the request.
OUTPUT_FLAGS = frozenset({"-s", "-i", "-si", "-OJ", "-O", "-J"})


@dataclass
class Example:
    tokens: list[str]
    text: str


def readme_curl_examples(text: str) -> list[Example]:
    """The ``curl`` commands of the README's ``sh`` blocks, split into words as a shell would
    (continued lines joined, quotes removed, comments and pipes dropped)."""
    examples = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        pending = ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if pending.endswith("\\"):
                continue
            try:
                tokens = shlex.split(pending.replace("\\\n", " "), comments=True)
            except ValueError:
                continue  # a quote still open: the command goes on on the next line
            if tokens and tokens[0] == "curl":
                if "|" in tokens:
                    tokens = tokens[: tokens.index("|")]
                examples.append(Example(tokens, pending))
            pending = ""
        assert not pending, f"an unfinished command in the README: {pending!r}"
    return examples


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None
    form: dict[str, str] = field(default_factory=dict)


def parse_curl(tokens: list[str], variables: dict[str, str]) -> Request:
    def expand(word: str) -> str:
        for name in sorted(variables, key=len, reverse=True):
            word = word.replace(f"${name}", variables[name])
        assert "$" not in word, f"an unknown variable in {word!r}"
        return word

    words = iter(tokens[1:])
    method, url, body = "", "", None
    headers: dict[str, str] = {}
    form: dict[str, str] = {}
    query: list[str] = []
    as_query = False
    for word in words:
        if word == "-H":
            name, _, value = expand(next(words)).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-X":
            method = next(words)
        elif word == "-d":
            body = expand(next(words))
        elif word == "-F":
            name, _, value = expand(next(words)).partition("=")
            form[name] = value
        elif word == "-G":
            as_query = True
        elif word == "--data-urlencode":
            query.append(expand(next(words)))
        elif word in OUTPUT_FLAGS:
            continue
        else:
            assert not word.startswith("-"), f"a curl option this test does not know: {word}"
            assert not url, f"two URLs in one example: {url}, {word}"
            url = expand(word)
    assert url.startswith(API_BASE), url
    if query:
        assert as_query, "--data-urlencode without -G would send a body"
        url += ("&" if "?" in url else "?") + "&".join(query)
    if not method:
        method = "POST" if body is not None or form else "GET"
    return Request(method, url, headers, body, form)


# Which README ids stand for records the story makes, by the path segment naming them.
MADE_BY_THE_STORY = {
    "cases": "/api/v1/cases/",
    "sources": "/api/v1/sources/",
    "shares": "/shares/",
    "closure-requests": "/closure-requests/",
    "meetings": "/api/v1/coalition/meetings/",
    "lists": "/api/v1/coalition/lists/",
    "list-entries": "/entries/",
    "pledges": "/api/v1/coalition/pledges/",
    "reports": "/api/v1/reports/",
}
# Records the README numbers in the order the story made them (entries added in bulk: 1, 2, 3).
NUMBERED_AS_MADE = frozenset({"list-entries"})
# Kinds of record a README path names by id (``/<kind>/<id>/``).
PATH_IDS = re.compile(
    r"/(cases|sources|shares|closure-requests|meetings|lists|list-entries|pledges|resolutions"
    r"|reminders|reports)"
    r"/(\d+)(?=/)"
)
# Body fields naming a record, and the kind of record.
BODY_REFERENCES = {
    "case": "cases",
    "source": "sources",
    "facility": "facilities",
    "organization": "organizations",
    "meeting": "meetings",
}


class Story:
    """The README's ids mapped onto the records this run made or set up."""

    def __init__(
        self, facility: int, organization: int, listed_case: int, resolution: int, reminder: int
    ) -> None:
        self.made: dict[str, list[int]] = {kind: [] for kind in MADE_BY_THE_STORY}
        self.ids: dict[str, dict[int, int]] = {
            **{kind: {} for kind in MADE_BY_THE_STORY},
            "facilities": {1: facility},
            "organizations": {2: organization},
            "resolutions": {1: resolution},
            "reminders": {1: reminder},
        }
        self.ids["cases"][2] = listed_case

    def id_of(self, kind: str, readme_id: int) -> int:
        known = self.ids[kind]
        if readme_id not in known and kind in NUMBERED_AS_MADE:
            made = self.made[kind]
            assert readme_id <= len(made), f"the README names {kind} {readme_id} before making it"
            known[readme_id] = made[readme_id - 1]
        if readme_id not in known:
            unused = [pk for pk in self.made.get(kind, []) if pk not in known.values()]
            assert unused, f"the README names {kind} {readme_id} before making one"
            known[readme_id] = unused[0]
        return known[readme_id]

    def rewrite(self, request: Request) -> Request:
        def path_id(match: re.Match[str]) -> str:
            return f"/{match[1]}/{self.id_of(match[1], int(match[2]))}"

        path = PATH_IDS.sub(path_id, request.path)
        headers = dict(request.headers)
        if "If-Match" in headers:
            # The tag of the record the path names last (a case, a pledge, a list entry...).
            kind = PATH_IDS.findall(request.path)[-1][0]
            record_id, version = re.fullmatch(r'"(\d+)-(\d+)"', headers["If-Match"]).groups()  # type: ignore[union-attr]
            headers["If-Match"] = f'"{self.id_of(kind, int(record_id))}-{version}"'
        body = request.body
        if body is not None and request.headers.get("Content-Type") == "application/json":
            data = json.loads(body)
            for record in [data, *data.get("entries", [])]:  # entries added in bulk name cases
                for name, kind in BODY_REFERENCES.items():
                    if isinstance(record.get(name), int):
                        record[name] = self.id_of(kind, record[name])
            body = json.dumps(data)
        return Request(request.method, path, headers, body, request.form)

    def remember(self, request: Request, answer: Any) -> None:
        if request.method != "POST" or answer.status_code != 201:
            return
        for kind, segment in MADE_BY_THE_STORY.items():
            if request.path.rstrip("/").endswith(segment.rstrip("/")):
                body = answer.json()
                rows = body.get("entries", [body])  # entries come in bulk
                self.made[kind].extend(row["id"] for row in rows)


def send(client: APIClient, request: Request) -> Any:
    extra: dict[str, Any] = {}
    content_type = None
    for name, value in request.headers.items():
        if name == "Content-Type":
            content_type = value
        else:
            extra["HTTP_" + name.upper().replace("-", "_")] = value
    if request.form:
        data: dict[str, Any] = {}
        for name, value in request.form.items():
            if value.startswith("@"):
                filename = value[1:]
                content = pdf_bytes([["Synthetic testimony for the README example"]])
                data[name] = SimpleUploadedFile(filename, content, "application/pdf")
            else:
                data[name] = value
        return client.post(request.path, data, format="multipart", **extra)
    if request.body is not None:
        return client.generic(
            request.method,
            request.path,
            request.body,
            content_type=content_type or "application/x-www-form-urlencoded",
            **extra,
        )
    return client.generic(request.method, request.path, **extra)


@pytest.fixture
def _empty_sources_storage() -> Iterator[None]:
    yield
    location = Path(sources_storage().location)  # type: ignore[attr-defined]
    for child in location.iterdir() if location.is_dir() else ():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def _token(user: Any) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def test_readme_has_curl_examples_for_every_part_of_the_api():
    examples = readme_curl_examples(README.read_text(encoding="utf-8"))
    paths = " ".join(" ".join(e.tokens) for e in examples)
    for part in (
        "/cases/",
        "/transition/",
        "/relatives/",
        "/whereabouts/",
        "/shares/",
        "/closure-requests/",
        "/case-removals/",
        "/sources/",
        "/evidence/",
        "/figures/",
        "/facilities/",
        "/coalition/meetings/",
        "/coalition/lists/",
        "/entries/",
        "/coalition/list-entries/",
        "/coalition/pledges/",
        "/roll-call/",
        "/coalition/countries/RU/",
        "/reminders/",
        "/reports/",
        "/subscriptions/",
    ):
        assert part in paths, part
    assert len(examples) >= 30


@pytest.mark.usefixtures("_empty_sources_storage")
def test_every_readme_curl_example_succeeds(oblasts):
    home = home_organization()
    partner_org: Organization = OrganizationFactory.create(name="Synthetic partner foundation")
    caseworker = make_member("caseworker", home)
    supervisor = make_member("supervisor", home)
    _key, secret = make_api_key(organization=partner_org, role="partner")
    facility = FacilityFactory.create(country="KP", kind="camp")
    coordinator = make_member("coordinator", home)
    # The coalition's seeds, as load_seeds loads them (the vote the roll call is pasted into),
    # and a second case of the coordinator's organization for the list to name.
    public_reporting_load()
    members_load()
    meetings_load()
    lists_load()
    resolution = Resolution.objects.get(body="general_assembly", symbol="")
    listed_case = make_case(child={"given_name": "Іван", "family_name": "Зразок", "sex": "male"})
    variables = {
        "API": API_BASE,
        "TOKEN": _token(caseworker),
        "AUTH": f"Authorization: Token {_token(caseworker)}",
        "SUPERVISOR_TOKEN": _token(supervisor),
        "COORDINATOR_TOKEN": _token(coordinator),
        "KEY": secret,
    }
    # Records made before the story, so no id the README names is by chance the real one.
    decoy = make_case()
    for _ in range(2):
        services.case_share_revoke(
            share=services.case_share_create(
                case=decoy,
                actor=None,
                organization=partner_org,
                scope="full",
                reason="Synthetic decoy",
                consent_reference="DECOY",
            ),
            actor=None,
            reason="Synthetic decoy",
        )
    services.closure_request_create(
        case_id=decoy.pk, actor=None, closure_reason="duplicate", reason="Synthetic decoy"
    )
    story = Story(
        facility=facility.pk,
        organization=partner_org.pk,
        listed_case=listed_case.pk,
        resolution=resolution.pk,
        reminder=make_reminder(caseworker).pk,
    )
    client = APIClient()

    examples = readme_curl_examples(README.read_text(encoding="utf-8"))
    for example in examples:
        request = story.rewrite(parse_curl(example.tokens, variables))
        answer = send(client, request)
        assert 200 <= answer.status_code < 300, (
            f"README example refused with {answer.status_code}:\n{example.text}\n"
            f"{answer.content[:500]!r}"
        )
        story.remember(request, answer)
    assert examples
