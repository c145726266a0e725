"""REST API of identity matching: who in the registry a description of a child may be.

Thin: the candidates come from ``cases.selectors_matching`` (the key index, then what the
reader may see of each); the read of the cases shown is audited like any other.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictQueryParamsMixin
from core.errors import PermissionDenied

from .selectors_matching import candidates_as_seen, child_candidates, may_match
from .serializers_matching import MatchInputSerializer, MatchResultSerializer
from .views import errors, record_candidates_read


class ChildMatchView(StrictQueryParamsMixin, APIView):
    """Who in the registry one description of a child may be."""

    @extend_schema(
        operation_id="children_match",
        summary=_("Match one child against the registry"),
        description=_(
            "The registry children the description may be, best first (at most 5), each with a "
            "band (`likely`, `possible`), a score and the reasons in words. The name as one "
            "`full_name` in any order, script and romanization, or as `given_name`, "
            "`family_name`, `patronymic`; `date_of_birth` as YYYY, YYYY-MM or YYYY-MM-DD. A "
            "child whose case you may see is shown with it (the date of birth as a limited "
            "share allows); one held by another organization only as held by it, when likely, "
            "with no personal data. Open to whoever reads or opens cases, and to the "
            "coalition's coordinators."
        ),
        request=MatchInputSerializer,
        responses={200: MatchResultSerializer, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        if not may_match(request.user):
            raise PermissionDenied(_("Your role does not allow matching children."))
        serializer = MatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        description = serializer.description()
        found = child_candidates(description=description, limit=serializer.validated_data["limit"])
        seen = candidates_as_seen(actor=request.user, candidates=found)
        record_candidates_read(request, seen, description=description)
        data: dict[str, Any] = MatchResultSerializer({"candidates": seen}).data
        return Response(data)
