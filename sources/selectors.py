"""Every read of sources, evidence, custody and published figures. Which sources an actor may
see is decided here, in ``source_visible_to``, and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from cases.models import Case, ShareScope
from cases.selectors import ACCESS, Viewer, case_visible_to, reads_all_cases, reads_cases

from .exceptions import EvidenceNotFound, SourceNotFound
from .models import PUBLIC_KINDS, CustodyAction, CustodyEvent, Evidence, PublishedFigure, Source


def _signed_in(actor: Viewer) -> bool:
    return (
        actor is not None
        and bool(getattr(actor, "is_authenticated", False))
        and bool(getattr(actor, "is_active", False))
    )


def _cases_seen_in_full(actor: Viewer) -> QuerySet[Case, int]:
    """Ids of the cases ``actor`` sees in full (a limited share shows no documents)."""
    if not reads_cases(actor):
        # Nothing to see (and no scope annotation on the empty queryset to filter by).
        return Case.objects.none().values_list("pk", flat=True)
    return (
        case_visible_to(actor=actor)
        .filter(**{ACCESS: ShareScope.FULL.value})
        .values_list("pk", flat=True)
    )


def source_visible_to(*, actor: Viewer) -> QuerySet[Source]:
    """The sources an actor may see:

    - superusers and auditors (who read every case): all;
    - any other signed-in user: public kinds (news articles, official statements, UN
      documents), sources received by an organization where they hold a reading role, and
      sources supporting a case they see in full.

    Anyone else (anonymous, inactive): none. Every door (API, admin, downloads) starts here.
    """
    if not _signed_in(actor):
        return Source.objects.none()
    if reads_all_cases(actor):
        return Source.objects.all()
    visible = Q(kind__in=PUBLIC_KINDS)
    own = actor_roles(actor).organizations(Capability.CASE_READ)
    if own:
        visible |= Q(organization_id__in=own)
        visible |= Q(
            pk__in=Evidence.objects.filter(case_id__in=_cases_seen_in_full(actor)).values(
                "source_id"
            )
        )
    return Source.objects.filter(visible)


def source_is_visible(*, actor: Viewer, source: Source) -> bool:
    return source_visible_to(actor=actor).filter(pk=source.pk).exists()


def source_list(*, actor: Viewer) -> QuerySet[Source]:
    """Visible sources with what a list row renders."""
    return source_visible_to(actor=actor).select_related(
        "organization", "created_by", "reliability_judged_by", "credibility_judged_by"
    )


def source_get(*, actor: Viewer, source_id: int | str) -> Source:
    """One visible source; ``SourceNotFound`` (404) when it does not exist or is out of sight."""
    try:
        return source_list(actor=actor).get(pk=source_id)
    except (Source.DoesNotExist, ValueError, TypeError) as exc:
        raise SourceNotFound() from exc


def source_by_sha256(*, sha256: str) -> Source | None:
    """The source holding this content, seen or not (receiving checks for duplicates)."""
    return Source.objects.filter(sha256=sha256).first() if sha256 else None


def source_by_url(*, url: str) -> Source | None:
    """The oldest source recorded with this URL (seeds and imports look sources up by it)."""
    return Source.objects.filter(url=url).order_by("id").first() if url else None


def sources_with_files(*, source_ids: Iterable[int] | None = None) -> QuerySet[Source]:
    """Sources that hold a file (what the integrity check re-hashes), oldest first."""
    sources = Source.objects.exclude(file="").order_by("id")
    if source_ids is not None:
        sources = sources.filter(pk__in=list(source_ids))
    return sources


def source_organizations(*, source: Source) -> set[int]:
    """The organizations a source belongs to: the one that received it and the owners of the
    cases it supports (their writers may change and judge it)."""
    owners = set(
        Evidence.objects.filter(source=source).values_list("case__organization_id", flat=True)
    )
    owners.add(source.organization_id)
    return {owner for owner in owners if owner is not None}


def source_custody(*, source: Source) -> QuerySet[CustodyEvent]:
    """The chain of custody of a source, oldest first (the order it is read in court)."""
    return CustodyEvent.objects.filter(source=source).select_related("actor").order_by("at", "id")


def source_custody_summary(*, source: Source) -> dict[str, Any]:
    """How many custody events and downloads a source has, when it was first received, and its
    last event: two queries however long the chain is."""
    events = CustodyEvent.objects.filter(source=source)
    summary = events.aggregate(
        events=Count("id"),
        downloads=Count("id", filter=Q(action=CustodyAction.DOWNLOADED)),
        received_at=Min("at", filter=Q(action=CustodyAction.RECEIVED)),
    )
    last = events.order_by("-at", "-id").values("action", "at").first()
    return {
        **summary,
        "last_action": last["action"] if last else None,
        "last_at": last["at"] if last else None,
    }


def source_last_integrity_failure(*, source: Source) -> CustodyEvent | None:
    return (
        CustodyEvent.objects.filter(source=source, action=CustodyAction.INTEGRITY_FAILURE)
        .order_by("-at", "-id")
        .first()
    )


def evidence_visible_to(*, actor: Viewer) -> QuerySet[Evidence]:
    """Evidence links of the cases ``actor`` sees in full (their sources are then visible too:
    supporting such a case is what makes them so)."""
    if not _signed_in(actor):
        return Evidence.objects.none()
    if reads_all_cases(actor):
        evidence = Evidence.objects.all()
    else:
        evidence = Evidence.objects.filter(case_id__in=_cases_seen_in_full(actor))
    return evidence.select_related("source", "case", "created_by")


def sources_supporting(*, actor: Viewer, case_id: int) -> QuerySet[Evidence, Any]:
    """The ids of the sources that support a case, as ``actor`` may know them: only for a case
    seen in full (which sources a case cites is part of its documents, and a limited share shows
    none), otherwise none."""
    return evidence_visible_to(actor=actor).filter(case_id=case_id).values("source_id")


def evidence_get(*, actor: Viewer, evidence_id: int | str) -> Evidence:
    try:
        return evidence_visible_to(actor=actor).get(pk=evidence_id)
    except (Evidence.DoesNotExist, ValueError, TypeError) as exc:
        raise EvidenceNotFound() from exc


def source_evidence(*, source: Source, actor: Viewer) -> QuerySet[Evidence]:
    """The links of one source that ``actor`` may see (cases seen in full), newest first."""
    return evidence_visible_to(actor=actor).filter(source=source).order_by("-created_at", "-id")


def integrity_notice_recipients() -> list[str]:
    """Who is told of an integrity failure: the addresses in ``ADMINS`` and the active
    superusers' (the system's administrators), each once."""
    addresses = [
        entry if isinstance(entry, str) else entry[1] for entry in getattr(settings, "ADMINS", ())
    ]
    addresses += (
        User.objects.filter(is_superuser=True, is_active=True, is_service_account=False)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def figure_list() -> QuerySet[PublishedFigure]:
    """Every published figure, oldest claim first (figures are public reporting)."""
    return PublishedFigure.objects.select_related("source").order_by("as_of", "claimant", "id")


def latest_figures_by_metric() -> dict[str, PublishedFigure]:
    """The latest claim of each metric (by the date it covers, then the latest recorded), for
    setting the registry's own counts beside what was published. One query."""
    latest = (
        PublishedFigure.objects.select_related("source")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("metric")],
                order_by=[F("as_of").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .order_by("metric")
    )
    return {figure.metric: figure for figure in latest}
