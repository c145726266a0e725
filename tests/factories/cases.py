"""Factories for the case registry. Children and cases are made through the services, so the
derived fields (Latin forms, search keys, case numbers, the first status change) are real.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from faker import Faker

from accounts.models import Organization
from cases import services
from cases.models import Case, Facility, FacilityKind, Oblast, Relationship, Relative, Whereabouts
from tests.factories.accounts import OrganizationFactory

fake = Faker("uk_UA")

HOME_ORGANIZATION = "Synthetic home organization"


def home_organization() -> Organization:
    """The organization that owns test cases unless a test says otherwise (the ``user``
    fixture is its supervisor)."""
    return OrganizationFactory.create(name=HOME_ORGANIZATION, kind="ukrainian_authority")


def child_data(**overrides: Any) -> dict[str, Any]:
    """A synthetic child's fields as ``case_create`` takes them."""
    sex = overrides.pop("sex", "female")
    if sex == "male":
        given, patronymic = fake.first_name_male(), fake.middle_name_male()
        family = fake.last_name_male()
    else:
        given, patronymic = fake.first_name_female(), fake.middle_name_female()
        family = fake.last_name_female()
    data: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "patronymic": patronymic,
        "sex": sex,
        "date_of_birth": dt.date(2012, 5, 17),
        "date_of_birth_precision": "exact",
    }
    data.update(overrides)
    return data


def make_case(
    *,
    actor: Any = None,
    oblast: Oblast | None = None,
    child: dict[str, Any] | None = None,
    aliases: list[dict[str, str]] | None = None,
    organization: Organization | None = None,
    candidates_checked: bool = True,
    **case_fields: Any,
) -> Case:
    """Open a case for a new synthetic child through the service, owned by ``organization``
    (the home organization by default).

    Tests make look-alike children on purpose (the same names, the same date of birth), so the
    opening confirms by default that the registry's candidates were checked; a test of that
    check passes ``candidates_checked=False``."""
    fields = child_data(**(child or {}))
    if oblast is not None:
        fields.setdefault("origin_oblast", oblast)
    case_fields.setdefault("deported_on", dt.date(2022, 6, 1))
    if organization is None and actor is None:
        organization = home_organization()
    return services.case_create(
        actor=actor,
        child_data=fields,
        data=case_fields,
        aliases=aliases or (),
        organization=organization,
        is_synthetic=True,
        candidates_checked=candidates_checked,
    )


def move_case(case: Case, *targets: str, actor: Any = None) -> Case:
    """Walk a case through the given statuses with whatever each guard needs."""
    for target in targets:
        case = services.case_transition(
            case_id=case.pk,
            to=target,
            actor=actor,
            reason="synthetic test move",
            returned_on=dt.date(2024, 1, 15) if target == "returned" else None,
            closure_reason="integrated" if target == "closed" else "",
        )
    return case


class FacilityFactory(factory.django.DjangoModelFactory[Facility]):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Synthetic facility {n}")
    kind = FacilityKind.CAMP
    country = "RU"
    region = "Synthetic region"
    latitude = factory.Faker("pydecimal", left_digits=2, right_digits=4, min_value=45, max_value=60)
    longitude = factory.Faker(
        "pydecimal", left_digits=2, right_digits=4, min_value=30, max_value=60
    )


def make_whereabouts(case: Case, *, actor: Any = None, **fields: Any) -> Whereabouts:
    fields.setdefault("country", "RU")
    fields.setdefault("from_date", dt.date(2022, 7, 1))
    fields.setdefault("source_description", "Synthetic test source")
    return services.whereabouts_record(child=case.child, actor=actor, data=fields)


def make_relative(case: Case, **fields: Any) -> Relative:
    fields.setdefault("relationship", Relationship.MOTHER)
    fields.setdefault("given_name", fake.first_name_female())
    fields.setdefault("family_name", case.child.family_name)
    fields.setdefault("phone", "+380 00 000 0000")
    return services.relative_create(child=case.child, actor=None, data=fields)
