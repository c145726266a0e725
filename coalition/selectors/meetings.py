"""Reading meetings, joint statements, resolutions and votes: the querysets the API and the
admin render, each reading what it shows in a constant number of queries.

These are public diplomacy, not personal data: every role that reads the coalition reads them
all (``require_reader``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from sources.models import Source

from ..models import Meeting, Party, Resolution, ResolutionVote, Statement, Vote
from ..services.common import Actor, require_reader

_SOURCE_IDS = Prefetch("sources", queryset=Source.objects.only("id").order_by("id"))
_PARTIES = Party.objects.order_by("code")


def meeting_list(*, actor: Actor) -> QuerySet[Meeting]:
    require_reader(actor)
    return Meeting.objects.select_related("host").prefetch_related(
        Prefetch("participants", queryset=_PARTIES), _SOURCE_IDS
    )


def meetings_of_party(queryset: QuerySet[Meeting], code: str) -> QuerySet[Meeting]:
    """The meetings a party took part in or hosted."""
    took_part = Meeting.participants.through.objects.filter(party__code=code).values("meeting_id")
    return queryset.filter(Q(pk__in=took_part) | Q(host__code=code))


def statement_list(*, actor: Actor) -> QuerySet[Statement]:
    require_reader(actor)
    return Statement.objects.annotate(
        signatories_entered=Count("signatories", distinct=True)
    ).prefetch_related(Prefetch("signatories", queryset=_PARTIES), _SOURCE_IDS)


def statements_signed_by(queryset: QuerySet[Statement], code: str) -> QuerySet[Statement]:
    signed = Statement.signatories.through.objects.filter(party__code=code).values("statement_id")
    return queryset.filter(pk__in=signed)


def _entered(vote: str) -> Count:
    return Count("votes", filter=Q(votes__vote=vote))


def resolution_list(*, actor: Actor, with_votes: bool = False) -> QuerySet[Resolution]:
    """Resolutions with the votes entered per category (``entered_in_favour``, ...); with
    each state's vote too when asked (the detail)."""
    require_reader(actor)
    queryset = Resolution.objects.annotate(
        **{f"entered_{vote}": _entered(vote) for vote in Vote.values}
    ).prefetch_related(_SOURCE_IDS)
    if with_votes:
        queryset = queryset.prefetch_related(
            Prefetch(
                "votes",
                queryset=ResolutionVote.objects.select_related("party").order_by("party__code"),
            )
        )
    return queryset


def resolutions_with_vote_of(queryset: QuerySet[Resolution], code: str) -> QuerySet[Resolution]:
    voted = ResolutionVote.objects.filter(party__code=code).values("resolution_id")
    return queryset.filter(pk__in=voted)


@dataclass(frozen=True)
class VoteTally:
    """One category of a vote: the total as reported (``None``: not reported) and the states
    entered under it (codes and names, in order of name)."""

    vote: str
    label: str
    reported: int | None
    states: list[tuple[str, str]]

    @property
    def entered(self) -> int:
        return len(self.states)


def resolution_tallies(resolution: Resolution) -> list[VoteTally]:
    """The four categories of a resolution's vote, reported beside entered; one query."""
    by_vote: dict[str, list[tuple[str, str]]] = {vote: [] for vote in Vote.values}
    for row in ResolutionVote.objects.filter(resolution=resolution).select_related("party"):
        by_vote[row.vote].append((row.party.code, row.party.display_name))
    return [
        VoteTally(
            vote=vote.value,
            label=str(vote.label),
            reported=getattr(resolution, vote.value),
            states=sorted(by_vote[vote.value], key=lambda item: item[1]),
        )
        for vote in Vote
    ]
