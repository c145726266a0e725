"""Serializers of match runs: input serializers that only validate, output serializers that
only render. A candidate renders from ``SeenCandidate`` (what the reader may see of it): a
child held by another organization renders as its band and that organization's name only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.selectors_matching import SeenCandidate
from cases.serializers_matching import SeenCandidateSerializer
from core.serializers import BlankAsNullMixin, StrictInputMixin

from ..models import MatchRun, MatchRunStatus
from ..selectors.match_runs import RowAsSeen
from ..services.match_runs import CANDIDATES_PER_ROW, PROBLEM_MESSAGES


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------
class MatchRunListInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """Match the entries of a coalition list of named children (sent as JSON)."""

    child_list = serializers.IntegerField(
        min_value=1,
        help_text=_(
            "The id of a coalition list of named children: its entries whose names you see "
            "are matched."
        ),
    )


class MatchRunUploadSchemaSerializer(serializers.Serializer[Any]):
    """A list of children to match, sent as `multipart/form-data`."""

    file = serializers.FileField(
        help_text=_(
            "CSV (UTF-8, with or without BOM, or Windows-1251; `,`, `;` or tab) or XLSX (first "
            "sheet). Columns, English or Ukrainian headers: `full_name` (any order and script) "
            "or `given_name`, `family_name`, `patronymic`; `date_of_birth` (YYYY, YYYY-MM, "
            "YYYY-MM-DD or DD.MM.YYYY); `sex` (M, F); `origin_oblast` (ISO 3166-2, e.g. "
            "UA-14); `ref` and `id`, echoed back."
        )
    )

    class Meta:
        ref_name = "MatchRunUpload"


class MatchRunConfirmInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """Confirm that a list entry is the child of one of its candidates."""

    row = serializers.IntegerField(
        min_value=1, help_text=_("The row of the results: the entry's number on the list.")
    )
    rank = serializers.IntegerField(
        min_value=1,
        max_value=CANDIDATES_PER_ROW,
        help_text=_("The candidate's rank in that row, as the results give it (1 = best)."),
    )


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
class MatchRunSerializer(BlankAsNullMixin, serializers.ModelSerializer[MatchRun]):
    """A run: what was matched, its status and progress. No personal data."""

    kind = serializers.SerializerMethodField(
        help_text=_("`file` (an uploaded list) or `child_list` (a coalition list).")
    )
    progress = serializers.SerializerMethodField(help_text=_("The share of rows matched, 0 to 1."))

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "kind",
            "status",
            "file_name",
            "file_format",
            "child_list",
            "rows_total",
            "rows_done",
            "progress",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_kind(self, run: MatchRun) -> str:
        return "child_list" if run.child_list_id is not None else "file"

    def get_progress(self, run: MatchRun) -> float:
        if run.status == MatchRunStatus.DONE:
            return 1.0
        return round(run.rows_done / run.rows_total, 4) if run.rows_total else 0.0


class RankedCandidateSerializer(SeenCandidateSerializer):
    """A candidate as you may see it (the shape of `POST /children/match/`), with its rank
    among the row's candidates."""

    rank = serializers.IntegerField(help_text=_("Its rank among the row's candidates (1 = best)."))

    def to_representation(self, instance: tuple[int, SeenCandidate]) -> dict[str, Any]:
        rank, seen = instance
        return super().to_representation(_Ranked(rank, seen))


class _Ranked:
    """A seen candidate with its rank, read as the candidate itself."""

    def __init__(self, rank: int, seen: SeenCandidate) -> None:
        self.rank = rank
        self._seen = seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self._seen, name)


class RowProblemSerializer(serializers.Serializer[Any]):
    column = serializers.CharField()
    code = serializers.ChoiceField(choices=sorted(PROBLEM_MESSAGES))
    message = serializers.CharField()

    class Meta:
        ref_name = "MatchRowProblem"


class MatchRowSerializer(serializers.Serializer[Any]):
    """A row of the list and its candidates, best first."""

    row = serializers.IntegerField(
        help_text=_("The spreadsheet's row number (the header is 1), or the entry's number.")
    )
    ref = serializers.CharField(help_text=_("The row's `ref`, echoed back."))
    id = serializers.CharField(help_text=_("The row's `id`, echoed back."))
    entry = serializers.IntegerField(allow_null=True, help_text=_("The list entry's id."))
    problems = RowProblemSerializer(many=True)
    candidates = RankedCandidateSerializer(many=True)

    def to_representation(self, instance: RowAsSeen) -> dict[str, Any]:
        return {
            "row": instance.row,
            "ref": instance.ref,
            "id": instance.id,
            "entry": instance.entry,
            "problems": [
                {"column": column, "code": code, "message": str(PROBLEM_MESSAGES[code])}
                for column, code in instance.problems
            ],
            "candidates": [
                RankedCandidateSerializer(candidate).data for candidate in instance.candidates
            ],
        }


class MatchRunResultsSerializer(serializers.Serializer[Any]):
    """A finished run's rows, each with its candidates as you may see them now."""

    run = serializers.IntegerField()
    status = serializers.ChoiceField(choices=MatchRunStatus.choices)
    rows = MatchRowSerializer(many=True)


class MatchRunConfirmedSerializer(serializers.Serializer[Any]):
    """The entry now linked, and its case."""

    entry = serializers.IntegerField()
    case = serializers.IntegerField()
