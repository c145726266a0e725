"""What the tests of hostile input share: a record of each kind the API writes, the counts
that show nothing was written, and the assertion that a refusal names what is at fault."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization
from cases.models import Case, CaseShare, Child, ClosureRequest, Relative, Whereabouts
from cases.services import case_share_create
from sources.models import Evidence, PublishedFigure, Source
from tests.api_errors import assert_error
from tests.factories.accounts import OrganizationFactory
from tests.factories.cases import FacilityFactory, make_case, make_relative, make_whereabouts
from tests.factories.sources import make_evidence, make_source

NUL = "\x00"
CHILD = {"given_name": "Олег", "family_name": "Вигаданенко", "date_of_birth": "2012-05-17"}
WRITTEN: list[type[Model]] = [
    Case,
    Child,
    Relative,
    Whereabouts,
    CaseShare,
    ClosureRequest,
    Source,
    Evidence,
    PublishedFigure,
]


def counts() -> list[int]:
    """How many records of each kind the API writes there are."""
    return [model._default_manager.count() for model in WRITTEN]


def make_world(*, user: Any, home: Organization) -> dict[str, Any]:
    """One of each record the API writes, visible to ``user`` (a supervisor of ``home``), by id."""
    case = make_case()
    source = make_source(organization=home)
    other = OrganizationFactory.create()
    share = case_share_create(
        case=case,
        actor=user,
        organization=other,
        scope="full",
        reason="Synthetic referral",
        consent_reference="Synthetic consent",
    )
    return {
        "case": case.pk,
        "relative": make_relative(case).pk,
        "whereabouts": make_whereabouts(case).pk,
        "facility": FacilityFactory.create().pk,
        "source": source.pk,
        "evidence": make_evidence(source, case).pk,
        "share": share.pk,
        "other": other.pk,
    }


def client_of(user: Any) -> APIClient:
    """An API client authenticated with the user's token."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_refused(response: Any, field: str, status: int = 400, code: str = "invalid") -> None:
    """A refusal with the one error body, naming ``field`` in its fields and its detail."""
    body = assert_error(response, status, code)
    assert field in body.get("fields", {}), body
    assert field in body["detail"], body
