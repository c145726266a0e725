"""The case list's filter choices, read from small tables and indexes, never from the cases.

A filter that lists "the values the cases hold" (Django's ``RelatedOnlyFieldListFilter``, a
``DISTINCT`` over the visible cases) reads every case the user may see to draw a sidebar, on
every page of the list: at a million cases that is most of the page's time. Here:

- the countries are those the cases' children are in now, read from the index on the kept
  ``Case.current_country`` by a loose scan: one index probe per country, whatever the number of
  cases. They are the registry's countries, not only those of the reader's cases (which would
  be a scan of them again; a country with none of the reader's cases lists nothing), for those
  who read the registry's counts (where the countries are anyway); for anyone else, the
  countries of the few cases they may see;
- the organizations are those whose cases the reader may see: every organization for those who
  read every case, otherwise the reader's own and those sharing a case with them now;
- the assignees are the people who may hold those cases: members of an organization for those
  who read every case, otherwise the members of the reader's own organizations and whoever holds
  a case shared with them (the list shows those names already).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Membership, Organization, User
from accounts.roles import Capability
from accounts.selectors import actor_roles

from .models import Case, CaseShare
from .selectors import Viewer, case_list, reads_aggregates, reads_all_cases

# Each step: the first code above the last one found, from the (current_country, updated_at)
# index. Plain SQL: Django's ORM writes no recursive query.
_CURRENT_COUNTRIES_SQL = """
WITH RECURSIVE codes(code) AS (
    SELECT (
        SELECT current_country FROM cases_case WHERE current_country > ''
        ORDER BY current_country LIMIT 1
    )
    UNION ALL
    SELECT (
        SELECT current_country FROM cases_case WHERE current_country > codes.code
        ORDER BY current_country LIMIT 1
    )
    FROM codes WHERE codes.code IS NOT NULL
)
SELECT code FROM codes WHERE code IS NOT NULL
"""


def current_country_codes() -> list[str]:
    """The countries the cases' children are in now (their current whereabouts'), by code.

    A recursive query walks the index on ``current_country``: each step asks the index for the
    first code above the last one found, so the cost is one probe per country (a few dozen),
    not a read of every case (PostgreSQL has no skip scan of its own before version 18)."""
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_COUNTRIES_SQL)
        return [code for (code,) in cursor.fetchall()]


def list_filter_countries(*, actor: Viewer) -> list[str]:
    """The countries the case list's country filter offers ``actor``, by code: the registry's
    (``current_country_codes``) to whoever reads the registry's counts, in which they are
    anyway; to anyone else only the countries of the cases they may see (a partner's few), so
    the list tells nobody where children are beyond what they may read."""
    if reads_aggregates(actor) or reads_all_cases(actor):
        return current_country_codes()
    codes = (
        case_list(actor=actor)
        .exclude(current_country="")
        .order_by("current_country")
        .values_list("current_country", flat=True)
        .distinct()
    )
    return [str(code) for code in codes]


def _sharing_cases(actor: Viewer) -> QuerySet[Case]:
    """The cases shared with the actor's organizations now (few beside the cases: shares are
    read by the organization they are made to)."""
    own = actor_roles(actor).organizations(Capability.CASE_READ)
    shared = CaseShare.objects.active().filter(organization_id__in=own).values("case_id")
    return Case.objects.filter(pk__in=shared)


def list_filter_organizations(*, actor: Viewer) -> QuerySet[Organization]:
    """The organizations whose cases ``actor`` may see, by name: the choices of the case list's
    owner filter."""
    organizations = Organization.objects.order_by("name", "id")
    if reads_all_cases(actor):
        return organizations
    own = actor_roles(actor).organizations(Capability.CASE_READ)
    sharing = _sharing_cases(actor).values("organization_id")
    return organizations.filter(Q(pk__in=own) | Q(pk__in=sharing))


def list_filter_assignees(*, actor: Viewer) -> QuerySet[User]:
    """The people who may hold a case ``actor`` sees, by username: the choices of the case
    list's assignee filter (service accounts never hold one)."""
    people = User.objects.filter(is_service_account=False).order_by("username", "id")
    if reads_all_cases(actor):
        return people.filter(pk__in=Membership.objects.values("user_id"))
    own = actor_roles(actor).organizations(Capability.CASE_READ)
    members = Membership.objects.filter(organization_id__in=own).values("user_id")
    holders = _sharing_cases(actor).exclude(assignee=None).values("assignee_id")
    return people.filter(Q(pk__in=members) | Q(pk__in=holders))
