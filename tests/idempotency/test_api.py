"""``Idempotency-Key`` on the real endpoints: opening a case and moving it through the
workflow. A retry with the same key replays the first answer and performs nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import F
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Role
from cases import services as case_services
from cases.models import Case, StatusChange
from idempotency.fingerprints import request_fingerprint
from idempotency.models import IdempotencyRecord
from tests.api_errors import assert_error
from tests.factories.cases import make_case
from tests.idempotency.conftest import token_client
from tests.idempotency.payloads import CASES, case_body, case_url

pytestmark = pytest.mark.django_db

KEY = "0b6f1c1e-5d1a-4c47-9a43-7d0f5f3f9e21"


def post(client: Any, url: str, body: Any, key: str | None = KEY, **extra: Any) -> Any:
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, body, format="json", **extra)


def if_match(client: Any, case_id: int) -> dict[str, str]:
    """The If-Match header a client sends to change the case as it read it."""
    return {"HTTP_IF_MATCH": client.get(case_url(case_id))["ETag"]}


def refuse_to_perform(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make the service behind an endpoint fail loudly, so a replay provably does not call it."""

    def performed(**kwargs: Any) -> Any:
        raise AssertionError(f"{name} ran on a replay")

    monkeypatch.setattr(case_services, name, performed)


# ---------------------------------------------------------------------------------------------
# Replay
# ---------------------------------------------------------------------------------------------
def test_idempotent_create_replays_the_first_answer_and_opens_one_case(
    caseworker_client, monkeypatch
):
    first = post(caseworker_client, CASES, case_body())
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first

    refuse_to_perform(monkeypatch, "case_create")
    again = post(caseworker_client, CASES, case_body())

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["ETag"] == first["ETag"]
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_idempotent_create_key_order_and_spacing_of_the_body_do_not_matter(caseworker_client):
    body = case_body()
    first = post(caseworker_client, CASES, body)
    reordered = dict(reversed(list(body.items())))

    again = post(caseworker_client, CASES, reordered)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_idempotent_post_without_a_key_changes_nothing(caseworker_client):
    first = post(caseworker_client, CASES, case_body(), key=None)
    second = post(caseworker_client, CASES, case_body(), key=None)

    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert IdempotencyRecord.objects.count() == 0


def test_idempotent_transition_replays_and_moves_the_case_once(
    caseworker, caseworker_client, monkeypatch
):
    case = make_case(actor=caseworker)
    url = case_url(case.pk, "transition/")
    read = if_match(caseworker_client, case.pk)
    first = post(caseworker_client, url, {"to": "verifying"}, **read)
    assert first.status_code == 200, first.content

    refuse_to_perform(monkeypatch, "case_transition")
    # A retry of the lost answer: the client still holds the ETag it read before.
    again = post(caseworker_client, url, {"to": "verifying"}, **read)

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert again.json()["status"] == "verifying"
    assert StatusChange.objects.filter(case=case, to_status="verifying").count() == 1
    assert Case.objects.get(pk=case.pk).version == first.json()["version"]


# ---------------------------------------------------------------------------------------------
# The same key for another request
# ---------------------------------------------------------------------------------------------
def test_idempotent_create_same_key_other_body_is_422_and_opens_nothing(caseworker_client):
    first = post(caseworker_client, CASES, case_body())

    other = post(caseworker_client, CASES, case_body(priority="low"))

    assert_error(other, 422, "idempotency_key_reused")
    assert "Idempotent-Replayed" not in other
    assert list(Case.objects.values_list("pk", flat=True)) == [first.json()["id"]]


def test_idempotent_post_same_key_other_path_is_422_and_moves_nothing(
    caseworker, caseworker_client
):
    post(caseworker_client, CASES, case_body())
    case = make_case(actor=caseworker)

    other = post(
        caseworker_client,
        case_url(case.pk, "transition/"),
        case_body(),
        **if_match(caseworker_client, case.pk),
    )

    assert_error(other, 422, "idempotency_key_reused")
    assert Case.objects.get(pk=case.pk).status == "reported"


def test_idempotent_post_keys_belong_to_their_actor(caseworker_client, make_caseworker):
    first = post(caseworker_client, CASES, case_body())
    colleague = token_client(make_caseworker())

    theirs = post(colleague, CASES, case_body())
    other_body = post(colleague, CASES, case_body(priority="low"))

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != first.json()["id"]
    # The colleague's key is now theirs: another body under it is refused for them alone.
    assert_error(other_body, 422, "idempotency_key_reused")
    assert Case.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_idempotent_post_api_key_is_scoped_to_its_service_account(
    organization, caseworker_client, oblasts
):
    api_key, secret = account_services.api_key_create(
        organization=organization, name="Synthetic partner registry", role=Role.PARTNER
    )
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    by_key = post(partner, CASES, case_body())
    replayed = post(partner, CASES, case_body())
    by_person = post(caseworker_client, CASES, case_body())

    assert by_key.status_code == 201, by_key.content
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == by_key.json()["id"]
    assert by_person.status_code == 201
    assert "Idempotent-Replayed" not in by_person
    assert set(IdempotencyRecord.objects.values_list("actor", flat=True)) == {
        api_key.service_account_id,
        by_person.wsgi_request.user.pk,
    }


# ---------------------------------------------------------------------------------------------
# Malformed keys
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key",
    ["", " leading-space", "trailing-space ", "k" * 256, "ключ", "tab\tinside", "\x7f"],
    ids=["empty", "leading", "trailing", "too-long", "not-ascii", "control", "delete"],
)
def test_idempotent_post_malformed_key_is_400_naming_the_header(caseworker_client, key):
    response = post(caseworker_client, CASES, case_body(), key=key)

    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"Idempotency-Key"}
    assert Case.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["k", "k" * 255, "inner space", "~!@#$%^&*()"])
def test_idempotent_post_accepts_any_printable_key(caseworker_client, key):
    assert post(caseworker_client, CASES, case_body(), key=key).status_code == 201
    assert IdempotencyRecord.objects.get().key == key


def test_idempotent_post_unknown_query_parameter_is_400_and_keeps_nothing(caseworker_client):
    response = post(caseworker_client, f"{CASES}?dry_run=1", case_body())

    assert_error(response, 400, "invalid")
    assert IdempotencyRecord.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Failures are not kept
# ---------------------------------------------------------------------------------------------
def test_idempotent_create_failed_first_request_is_not_kept(caseworker_client):
    invalid = case_body(priority="whenever")
    failed = post(caseworker_client, CASES, invalid)
    assert_error(failed, 400, "invalid")
    assert IdempotencyRecord.objects.count() == 0

    # The same request again is performed again (and fails again): nothing was kept.
    assert_error(post(caseworker_client, CASES, invalid), 400, "invalid")

    corrected = post(caseworker_client, CASES, case_body())
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected
    replayed = post(caseworker_client, CASES, case_body())
    assert replayed["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_idempotent_transition_refused_by_the_workflow_is_not_kept(caseworker, caseworker_client):
    case = make_case(actor=caseworker)
    url = case_url(case.pk, "transition/")

    read = if_match(caseworker_client, case.pk)

    refused = post(caseworker_client, url, {"to": "returned"}, **read)
    allowed = post(caseworker_client, url, {"to": "verifying"}, **read)

    assert_error(refused, 409, "transition_not_allowed")
    assert allowed.status_code == 200
    assert "Idempotent-Replayed" not in allowed


def test_idempotent_transition_without_if_match_is_not_kept(caseworker, caseworker_client):
    case = make_case(actor=caseworker)
    url = case_url(case.pk, "transition/")

    missing = post(caseworker_client, url, {"to": "verifying"})
    retried = post(
        caseworker_client, url, {"to": "verifying"}, **if_match(caseworker_client, case.pk)
    )

    assert_error(missing, 428, "precondition_required")
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried
    assert retried.json()["status"] == "verifying"


def test_idempotent_post_answers_409_while_the_key_is_in_use(caseworker, caseworker_client):
    # Where the database cannot make the retry wait (PostgreSQL does), a record still being
    # completed is never taken for an answer, and the request is not performed twice.
    now = dt.datetime.now(tz=dt.UTC)
    IdempotencyRecord.objects.create(
        actor=caseworker,
        key=KEY,
        fingerprint=request_fingerprint(method="POST", path=CASES, data=case_body()),
        expires_at=now + dt.timedelta(hours=1),
    )

    response = post(caseworker_client, CASES, case_body())

    assert_error(response, 409, "idempotency_key_in_progress")
    assert Case.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Expiry
# ---------------------------------------------------------------------------------------------
def test_idempotent_post_key_expires_after_the_ttl(caseworker_client, settings):
    settings.IDEMPOTENCY_TTL_HOURS = 2
    first = post(caseworker_client, CASES, case_body())
    record = IdempotencyRecord.objects.get()
    assert record.expires_at - record.created_at == dt.timedelta(hours=2)

    # Two hours and a minute later.
    IdempotencyRecord.objects.update(
        created_at=F("created_at") - dt.timedelta(hours=2, minutes=1),
        expires_at=F("expires_at") - dt.timedelta(hours=2, minutes=1),
    )
    later = post(caseworker_client, CASES, case_body())

    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later
    assert later.json()["id"] != first.json()["id"]
    assert IdempotencyRecord.objects.get().body == later.json()
