"""E-mail subscriptions: who may receive which topic, the service's checks and audit, the API
(the requesting user's own), the admin. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent
from core.errors import NotFound, ValidationFailed
from reports.models import Subscription
from reports.services.subscriptions import (
    SubscriptionDenied,
    subscription_cancel,
    subscription_set,
)
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Any:
    return OrganizationFactory.create(name="Synthetic subscribing organization")


def _person(role: str, org: Any) -> Any:
    if role == "superuser":
        return UserFactory.create(is_superuser=True)
    return make_member(role, org)


# What each role may receive: (topic, frequency, names the organization).
ALLOWED = {
    "caseworker": {"organization", "digest"},
    "supervisor": {"organization", "digest"},
    "coordinator": {"organization", "registry", "coalition"},
    "auditor": {"organization", "registry", "coalition"},
    "partner": set(),
    "superuser": {"organization", "registry", "coalition"},
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("topic", ["organization", "registry", "coalition", "digest"])
def test_subscription_set_follows_the_role(org, role, topic):
    actor = _person(role, org)
    frequency = "daily" if topic == "digest" else "weekly"
    organization = org if topic == "organization" else None
    if topic in ALLOWED[role]:
        subscription, created = subscription_set(
            actor=actor, topic=topic, frequency=frequency, language="uk", organization=organization
        )
        assert created
        assert subscription.language == "uk"
        assert subscription.is_active
    else:
        with pytest.raises(SubscriptionDenied) as refused:
            subscription_set(
                actor=actor, topic=topic, frequency=frequency, organization=organization
            )
        assert refused.value.code == "subscription_denied"
        assert "topic" in refused.value.fields


def test_subscription_set_organization_summary_needs_membership(org):
    outsider = make_member("supervisor", OrganizationFactory.create())
    with pytest.raises(SubscriptionDenied):
        subscription_set(actor=outsider, topic="organization", frequency="weekly", organization=org)


@pytest.mark.parametrize(
    ("topic", "frequency", "organization", "field"),
    [
        ("digest", "weekly", None, "frequency"),
        ("registry", "daily", None, "frequency"),
        ("organization", "weekly", None, "organization"),
        ("organization", "weekly", 2**62, "organization"),
        ("registry", "weekly", "org", "organization"),
        ("nonsense", "weekly", None, "topic"),
    ],
)
def test_subscription_set_refuses_bad_input_naming_the_field(
    org, topic, frequency, organization, field
):
    actor = make_member("coordinator", org)
    given = org if organization == "org" else organization
    with pytest.raises(ValidationFailed) as refused:
        subscription_set(actor=actor, topic=topic, frequency=frequency, organization=given)
    assert field in refused.value.fields


def test_subscription_set_again_changes_language_and_restarts(org):
    actor = make_member("coordinator", org)
    first, _ = subscription_set(actor=actor, topic="registry", frequency="monthly", language="en")
    subscription_cancel(actor=actor, subscription_id=first.pk)
    again, created = subscription_set(
        actor=actor, topic="registry", frequency="monthly", language="uk"
    )
    assert not created
    assert again.pk == first.pk
    assert again.language == "uk"
    assert again.unsubscribed_at is None
    events = AuditEvent.objects.filter(object_id=str(first.pk), actor=actor)
    assert events.filter(action="create").count() == 1
    assert events.filter(action="update").count() == 2


def test_subscription_cancel_only_ones_own(org):
    owner = make_member("coordinator", org)
    other = make_member("coordinator", org)
    subscription, _ = subscription_set(actor=owner, topic="registry", frequency="weekly")
    with pytest.raises(NotFound):
        subscription_cancel(actor=other, subscription_id=subscription.pk)
    stopped = subscription_cancel(actor=owner, subscription_id=subscription.pk)
    assert stopped.unsubscribed_at is not None
    admin = UserFactory.create(is_superuser=True)
    assert subscription_cancel(actor=admin, subscription_id=subscription.pk).pk == subscription.pk


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------
def _client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_subscriptions_api_create_list_patch_delete(org):
    actor = make_member("supervisor", org)
    client = _client(actor)
    url = reverse("subscription-list")

    created = client.post(
        url, {"topic": "organization", "frequency": "weekly", "organization": org.pk}
    )
    assert created.status_code == 201, created.content
    again = client.post(
        url,
        {"topic": "organization", "frequency": "weekly", "organization": org.pk, "language": "uk"},
    )
    assert again.status_code == 200
    assert again.json()["language"] == "uk"
    detail = reverse("subscription-detail", args=[created.json()["id"]])
    assert client.patch(detail, {"language": "en"}).json()["language"] == "en"
    assert client.delete(detail).status_code == 204
    (row,) = client.get(url).json()
    assert row["active"] is False
    assert row["unsubscribed_at"]


def test_subscriptions_api_is_strict_and_names_fields(org):
    client = _client(make_member("supervisor", org))
    url = reverse("subscription-list")
    unknown = client.post(url, {"topic": "digest", "frequency": "daily", "user": 1})
    assert unknown.status_code == 400
    assert "user" in unknown.json()["fields"]
    bad = client.post(url, {"topic": "digest", "frequency": "weekly"})
    assert bad.status_code == 400
    assert "frequency" in bad.json()["fields"]
    denied = client.post(url, {"topic": "registry", "frequency": "weekly"})
    assert denied.status_code == 403
    assert denied.json()["code"] == "subscription_denied"
    assert client.get(url, {"topic": "digest"}).status_code == 400
    patch_other = client.patch(
        reverse("subscription-detail", args=[1]), {"language": "en", "topic": "x"}
    )
    assert patch_other.status_code in (400, 404)


def test_subscriptions_api_shows_only_ones_own(org):
    mine = make_member("coordinator", org)
    theirs = make_member("coordinator", org)
    subscription_set(actor=mine, topic="registry", frequency="weekly")
    other, _ = subscription_set(actor=theirs, topic="registry", frequency="weekly")
    client = _client(mine)
    assert len(client.get(reverse("subscription-list")).json()) == 1
    detail = reverse("subscription-detail", args=[other.pk])
    assert client.get(detail).status_code == 404
    assert client.delete(detail).status_code == 404
    assert Subscription.objects.get(pk=other.pk).is_active


def test_subscriptions_api_refuses_anonymous():
    assert APIClient().get(reverse("subscription-list")).status_code == 401


def test_subscriptions_list_in_constant_queries(org, django_assert_num_queries):
    actor = make_member("coordinator", org)
    client = _client(actor)
    for topic in ("registry", "coalition"):
        for frequency in ("weekly", "monthly"):
            subscription_set(actor=actor, topic=topic, frequency=frequency)
    with django_assert_num_queries(2):  # the token with its user, the rows
        assert len(client.get(reverse("subscription-list")).json()) == 4


# ---------------------------------------------------------------------------------------------
# The admin
# ---------------------------------------------------------------------------------------------
def test_subscription_admin_shows_ones_own_and_adds_through_the_service(client, org):
    actor = make_member("coordinator", org)
    other = make_member("coordinator", org)
    subscription_set(actor=other, topic="registry", frequency="weekly")
    client.force_login(actor)
    changelist = client.get(reverse("admin:reports_subscription_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 0
    added = client.post(
        reverse("admin:reports_subscription_add"),
        {"topic": "coalition", "frequency": "monthly", "language": "uk", "organization": ""},
    )
    assert added.status_code == 302, added.content
    assert Subscription.objects.get(user=actor).topic == "coalition"
    refused = client.post(
        reverse("admin:reports_subscription_add"),
        {"topic": "digest", "frequency": "daily", "language": "en", "organization": ""},
    )
    assert refused.status_code == 200  # the page again, with the service's refusal
    assert not Subscription.objects.filter(user=actor, topic="digest").exists()
