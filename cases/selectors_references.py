"""Children by the references organizations gave them (``ExternalReference``): how a re-import
finds the records it wrote before."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import F, Prefetch, Q

from accounts.models import Organization
from core.db import InArray

from .models import Case, ChildAlias, ExternalReference, Relative, Whereabouts
from .workflow import Status


def children_by_reference(
    *, organization: Organization, references: Collection[str]
) -> dict[str, ExternalReference]:
    """The organization's references among ``references``, each with its child, the child's
    aliases, whereabouts and relatives, and the organization's cases of the child (open first,
    then the latest) as ``child.organization_cases``. Six queries whatever the number."""
    if not references:
        return {}
    rows = (
        # The references as one array parameter: an import gives thousands.
        ExternalReference.objects.filter(
            InArray(F("reference"), sorted(references)), organization=organization
        )
        .select_related("child")
        .prefetch_related(
            Prefetch("child__aliases", queryset=ChildAlias.objects.order_by("id")),
            Prefetch("child__whereabouts", queryset=Whereabouts.objects.order_by("id")),
            Prefetch("child__relatives", queryset=Relative.objects.order_by("id")),
            Prefetch(
                "child__cases",
                queryset=Case.objects.filter(organization=organization)
                .annotate(still_open=~Q(status=Status.CLOSED))
                .order_by("-still_open", "-created_at", "-id"),
                to_attr="organization_cases",
            ),
        )
    )
    return {row.reference: row for row in rows}
