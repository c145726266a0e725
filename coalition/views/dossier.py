"""The country dossier in the API: one state's record in the coalition and the registry's counts
of its children there, and the list of the states the records name. Read only; thin views over
``coalition.selectors.dossier``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictQueryParamsMixin

from ..selectors.dossier import countries_in_records, country_dossier
from ..serializers.dossier import CountryDossierSerializer, CountryRowSerializer
from .common import CoalitionReadMixin, actor_of, errors

COUNTRY_CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_(
        "The state's ISO 3166-1 alpha-2 code, in any case (ca, CA). Any valid code answers, "
        "named by a record or not; anything else is refused with 400 naming `country`."
    ),
)


class CountryListView(CoalitionReadMixin, StrictQueryParamsMixin, APIView):
    """The states the coalition's records name, each with its membership."""

    @extend_schema(
        operation_id="coalition_countries_list",
        summary=_("List the states the coalition's records name"),
        description=_(
            "Every state named by any coalition record (a member, a host or participant, a "
            "signatory, a side of a handed-over list, a voter), by code, with whether it is a "
            "member today and its role. Not paginated: at most one row per ISO 3166-1 country."
        ),
        responses={200: CountryRowSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        rows = countries_in_records(actor=actor_of(request))
        return Response(CountryRowSerializer(rows, many=True).data)


class CountryDossierView(CoalitionReadMixin, StrictQueryParamsMixin, APIView):
    """One state's dossier."""

    @extend_schema(
        operation_id="coalition_country_dossier",
        summary=_("Read a state's dossier"),
        description=_(
            "For one state: its membership (role, joining and leaving dates, areas and those it "
            "leads), its pledges with their status and overdue flag and the totals by status, "
            "the meetings it hosted or took part in, the statements it signed, its UN votes, "
            "the lists of named children it handed over or received (counts only, never "
            "names), and the registry's counts of children whose known whereabouts were ever, "
            "or are now, in the country, by case status. Coordinators, auditors and "
            "superusers count every case; caseworkers, supervisors and partners count the "
            "cases they may see (`children.scope` says which). A valid code no record names "
            "answers with empty sections. An invalid or unknown code is bad input (400 naming "
            "`country`), not a missing record: every country has a dossier. No personal data."
        ),
        parameters=[COUNTRY_CODE],
        responses={200: CountryDossierSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        dossier = country_dossier(actor=actor_of(request), country=code)
        return Response(CountryDossierSerializer(dossier).data)
