"""Checks the source services share: who may act for which organization and on which
source or case, which fields may be set, and the model's own rules as errors that name the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Organization, User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from accounts.services import ActingRefusals, acting_organization
from cases.exceptions import CaseNotFound
from cases.models import Case
from cases.selectors import case_can, case_scope
from core.errors import PermissionDenied, django_validation_fields

from .. import selectors
from ..exceptions import SourceNotFound
from ..models import Source

# ``None`` is the system itself (seeds, imports, tasks): it is not bound by roles.
Actor = User | None


def _clean_fields(instance: Any, errors: dict[str, list[str]], *, exclude: Iterable[str]) -> None:
    """The model's field checks (choices, lengths, URL, dates), each error under its field. The
    CHECK constraints hold by construction and are left to the database."""
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except DjangoValidationError as exc:
        for name, messages in django_validation_fields(exc).items():
            errors.setdefault(name, []).extend(messages)


def _assign(instance: Any, data: Mapping[str, Any]) -> None:
    """Set the given fields; an empty value empties a text field and clears a date."""
    for name, value in data.items():
        if name in _NULLABLE:
            value = None if value in (None, "") else value
        elif value is None:
            value = ""
        setattr(instance, name, value)


_NULLABLE = frozenset({"published_on", "retrieved_at"})


def _not_in_future(errors: dict[str, list[str]], name: str, value: Any) -> None:
    if isinstance(value, dt.datetime):
        future = value > timezone.now()
    elif isinstance(value, dt.date):
        future = value > timezone.localdate()
    else:
        return
    if future:
        errors.setdefault(name, []).append(_("Cannot be in the future."))


_RECEIVING = ActingRefusals(
    no_role=_lazy("Your role does not allow receiving sources."),
    several=_lazy("You belong to several organizations; say which one receives the source."),
    not_here=_lazy("You may not receive sources for this organization."),
)


def _receiving_organization(actor: Actor, organization: Organization | None) -> Organization | None:
    """The organization a new source is received by: the one given, where the actor may write
    cases or submit them (partners), or the actor's only such organization. The system and
    superusers may receive for none (public reporting)."""
    return acting_organization(
        actor=actor,
        organization=organization,
        capabilities=(Capability.CASE_WRITE, Capability.CASE_CREATE),
        refusals=_RECEIVING,
    )


def _require_source_write(actor: Actor, source: Source, *, judging: bool = False) -> None:
    """Changing or judging a source takes CASE_WRITE in an organization it belongs to (the one
    that received it, or one whose case it supports); any CASE_WRITE holder may judge a public
    source. Out of sight: 404; seen but not allowed: 403."""
    if actor is None:
        return
    roles = actor_roles(actor)
    if roles.is_superuser:
        return
    if not selectors.source_is_visible(actor=actor, source=source):
        raise SourceNotFound()
    writers = set(roles.organizations(Capability.CASE_WRITE))
    if writers and (
        (judging and source.is_public) or writers & selectors.source_organizations(source=source)
    ):
        return
    raise PermissionDenied(_("Your role does not allow changing this source."))


def _require_case_write(actor: Actor, case: Case) -> None:
    if actor is None or case_can(actor, Capability.CASE_WRITE, case):
        return
    if case_scope(actor=actor, case_id=case.pk) is None:
        raise CaseNotFound()
    raise PermissionDenied(_("Your role does not allow linking evidence to this case."))


def _lock_source(source_id: int) -> Source:
    try:
        return Source.objects.select_for_update().get(pk=source_id)
    except Source.DoesNotExist as exc:
        raise SourceNotFound() from exc
