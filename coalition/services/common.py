"""What every coalition service shares: who may read and write the coalition, how a party is
named (a country code or an organization's code), the checks of dates, money and sources, the
optimistic lock of a record, and the audit of its many-to-many relations.

Who may do what (``accounts.roles``): coordinators write coalition records; caseworkers,
supervisors, partners, coordinators and auditors read them; superusers do everything; ``None``
is the system (seeds). The names on lists of named children follow the cases' visibility on
top of this (``coalition.services.lists``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from babel.numbers import list_currencies
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from audit.models import Action
from core.db import MAX_ID, row_locked
from core.errors import PermissionDenied, PreconditionFailed, ValidationFailed
from sources.figures import PERIOD_START_MESSAGE, starts_its_period
from sources.models import Source
from sources.selectors import source_visible_to

from ..models import DatePrecision, Party, PartyKind

Actor = User | None
_M = TypeVar("_M", bound=models.Model)

# An organization's code: a lower-case slug of three or more characters (a state's is its
# two-letter ISO 3166-1 code, so the two never collide).
ORGANIZATION_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
CURRENCIES = frozenset(list_currencies())


class CoalitionReadDenied(PermissionDenied):
    code = "coalition_read_denied"
    default_detail = gettext_lazy("Reading the coalition's records takes a role that reads them.")


class CoalitionWriteDenied(PermissionDenied):
    code = "coalition_write_denied"
    default_detail = gettext_lazy("Recording the coalition's work takes a coordinator role.")


class StaleRecord(PreconditionFailed):
    code = "stale_version"
    default_detail = gettext_lazy("The record was changed by someone else since you read it.")


# ---------------------------------------------------------------------------------------------
# Who may read and write
# ---------------------------------------------------------------------------------------------
def can_read_coalition(actor: Actor) -> bool:
    return actor is None or actor_roles(actor).can(Capability.READ_COALITION)


def can_write_coalition(actor: Actor) -> bool:
    return actor is None or actor_roles(actor).can(Capability.WRITE_COALITION)


def require_reader(actor: Actor) -> None:
    if not can_read_coalition(actor):
        raise CoalitionReadDenied()


def require_writer(actor: Actor) -> None:
    if not can_write_coalition(actor):
        raise CoalitionWriteDenied()


# ---------------------------------------------------------------------------------------------
# Parties: states by country code, organizations by their code
# ---------------------------------------------------------------------------------------------
def is_country_code(code: str) -> bool:
    return len(code) == 2 and code.isupper() and code in countries


def normalized_party_code(code: str) -> str:
    """A party code as stored: a state's upper case, an organization's lower case."""
    code = code.strip()
    return code.upper() if len(code) == 2 else code.lower()


def party_for_code(code: Any, *, field: str = "party") -> Party:
    """The party ``code`` names: a state by its ISO 3166-1 alpha-2 code (created on first use:
    states need no recording), or a recorded international organization by its code. A bad
    or unknown code is a ``ValidationFailed`` on ``field``."""
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed.on(
            field, _("Give a country code (e.g. CA) or an organization's code.")
        )
    code = code.strip()
    if len(code) == 2:
        upper = code.upper()
        if upper not in countries:
            raise ValidationFailed.on(
                field,
                _("Unknown country code %(code)s: give an ISO 3166-1 alpha-2 code.")
                % {"code": upper},
            )
        party, _created = Party.objects.get_or_create(
            code=upper, defaults={"kind": PartyKind.STATE, "country": upper}
        )
        return party
    party = Party.objects.filter(kind=PartyKind.ORGANIZATION, code=code.lower()).first()
    if party is None:
        raise ValidationFailed.on(
            field, _("No organization with the code %(code)s is recorded.") % {"code": code[:40]}
        )
    return party


def parties_for_codes(codes: Any, *, field: str) -> list[Party]:
    """The parties a list of codes names, each once, in the order given."""
    if not isinstance(codes, list | tuple):
        raise ValidationFailed.on(field, _("Give a list of codes."))
    parties: dict[int, Party] = {}
    for code in codes:
        party = party_for_code(code, field=field)
        parties.setdefault(party.pk, party)
    return list(parties.values())


def state_for_code(code: Any, *, field: str) -> Party:
    """A state only (votes are cast by states)."""
    party = party_for_code(code, field=field)
    if party.kind != PartyKind.STATE:
        raise ValidationFailed.on(field, _("%(code)s is not a state.") % {"code": party.code})
    return party


# ---------------------------------------------------------------------------------------------
# Checks shared by the records
# ---------------------------------------------------------------------------------------------
class Errors:
    """Collects errors by field; ``raise_if_any`` raises one ``ValidationFailed`` naming them
    all, its message the first."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: Any) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            field, messages = next(iter(self.fields.items()))
            raise ValidationFailed(f"{field}: {messages[0]}", fields=self.fields)


def check_date(
    errors: Errors,
    field: str,
    day: Any,
    *,
    precision: str | None = None,
    precision_field: str = "",
    required: bool = False,
    not_future: bool = True,
) -> None:
    """A date: given when required, a date (not a datetime), not in the future unless allowed,
    and the first day of its period when its precision is vaguer than a day."""
    if day is None:
        if required:
            errors.add(field, _("This field is required."))
        return
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        errors.add(field, _("Give a date."))
        return
    if not_future and day > timezone.localdate():
        errors.add(field, _("Cannot be in the future."))
    if precision is not None:
        if precision not in DatePrecision.values:
            errors.add(
                precision_field or f"{field}_precision",
                _("Unknown precision; choose one of: %(known)s.")
                % {"known": ", ".join(DatePrecision.values)},
            )
        elif not starts_its_period(day, precision):
            errors.add(field, PERIOD_START_MESSAGE)


def check_dates_ordered(
    errors: Errors, first: str, first_day: Any, last: str, last_day: Any
) -> None:
    if isinstance(first_day, dt.date) and isinstance(last_day, dt.date) and last_day < first_day:
        errors.add(last, _("Cannot be before %(field)s.") % {"field": first})


def check_money(
    errors: Errors, amount_field: str, amount: Any, currency_field: str, currency: Any
) -> None:
    """An amount with its ISO 4217 currency, both or neither; never negative."""
    if amount is None and not currency:
        return
    if amount is None:
        errors.add(amount_field, _("Give the amount in the currency named."))
    elif isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        errors.add(amount_field, _("Give a number."))
    elif amount < 0:
        errors.add(amount_field, _("Cannot be negative."))
    if not currency:
        errors.add(currency_field, _("Give the currency (an ISO 4217 code, e.g. EUR)."))
    elif currency not in CURRENCIES:
        errors.add(
            currency_field,
            _("Unknown currency %(code)s: give an ISO 4217 code, e.g. EUR.")
            % {"code": str(currency)[:10]},
        )


def check_choice(errors: Errors, field: str, value: Any, choices: type[models.TextChoices]) -> None:
    if value not in choices.values:
        errors.add(
            field,
            _("Unknown value; choose one of: %(known)s.") % {"known": ", ".join(choices.values)},
        )


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("This field cannot be set here.")] for name in unknown},
        )


def stripped(data: Mapping[str, Any], text_fields: Iterable[str]) -> dict[str, Any]:
    """The data with its texts stripped (``None`` stands for an empty text)."""
    cleaned = dict(data)
    for field in text_fields:
        if field in cleaned:
            value = cleaned[field]
            cleaned[field] = "" if value is None else str(value).strip()
    return cleaned


def visible_sources(actor: Actor, sources: Any, *, field: str = "sources") -> list[Source]:
    """The sources a list of sources or ids names, each one the actor may see (one out of
    sight is as good as unknown: "No such source")."""
    if not isinstance(sources, list | tuple):
        raise ValidationFailed.on(field, _("Give a list of source ids."))
    ids: list[int] = []
    for item in sources:
        pk = item.pk if isinstance(item, Source) else item
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise ValidationFailed.on(field, _("Give a list of source ids."))
        if not 1 <= pk <= MAX_ID:
            raise ValidationFailed.on(field, _("No such source: %(id)s.") % {"id": pk})
        if pk not in ids:
            ids.append(pk)
    if not ids:
        return []
    scope = Source.objects.all() if actor is None else source_visible_to(actor=actor)
    found = {source.pk: source for source in scope.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationFailed.on(field, _("No such source: %(id)s.") % {"id": missing[0]})
    return [found[pk] for pk in ids]


# ---------------------------------------------------------------------------------------------
# Versions and the audit of relations
# ---------------------------------------------------------------------------------------------
def locked(model: type[_M], pk: Any, *, expected_version: int | None = None) -> _M:
    """The record as stored now, locked for the rest of the transaction (``row_locked``;
    ``NotFound`` when gone); ``StaleRecord`` (412) when ``expected_version`` is given and no
    longer current. Call inside ``transaction.atomic``."""
    record = row_locked(model, pk)
    if expected_version is not None and record.version != expected_version:  # type: ignore[attr-defined]
        raise StaleRecord()
    return record


def relations_snapshot(instance: models.Model, names: Sequence[str]) -> dict[str, Any]:
    """The sorted ids (parties: codes) of ``instance``'s many-to-many relations ``names``, for
    the audit beside the fields' snapshot."""
    values: dict[str, Any] = {}
    for name in names:
        related = getattr(instance, name).all()
        if related.model is Party:
            values[name] = sorted(related.values_list("code", flat=True))
        else:
            values[name] = sorted(related.values_list("pk", flat=True))
    return values


def record_snapshot(instance: models.Model, relations: Sequence[str] = ()) -> dict[str, Any]:
    """The fields and relations of ``instance`` as the audit records them."""
    return {**audit.snapshot(instance), **relations_snapshot(instance, relations)}


def record_changes(
    instance: models.Model, before: Mapping[str, Any], relations: Sequence[str] = ()
) -> dict[str, list[Any]]:
    """What changed since ``before`` (a ``record_snapshot``), fields and relations."""
    return audit.diff(before, record_snapshot(instance, relations))


def audit_created(instance: models.Model, *, actor: Actor, relations: Sequence[str] = ()) -> None:
    """One ``create`` event with the record's fields and its relations."""
    audit.record(
        Action.CREATE,
        actor=actor,
        instance=instance,
        changes={
            name: [None, value] for name, value in record_snapshot(instance, relations).items()
        },
    )


def audit_updated(
    instance: models.Model,
    before: Mapping[str, Any],
    *,
    actor: Actor,
    relations: Sequence[str] = (),
) -> bool:
    """One ``update`` event naming what changed (fields and relations); nothing when nothing
    did. Returns whether anything changed."""
    changes = record_changes(instance, before, relations)
    if not changes:
        return False
    audit.record(Action.UPDATE, actor=actor, instance=instance, changes=changes)
    return True


def bump_version(instance: models.Model) -> None:
    """Count a change: the record's version goes up by one (its ETag changes)."""
    instance.version += 1  # type: ignore[attr-defined]
    instance.save(update_fields=["version", "updated_at"])
