"""A plain Django REST framework list of cases, for comparison only: a ``ModelViewSet`` with
``ModelSerializer``s and page numbers, as a project would first write it.

It reads the same cases as ``/api/v1/cases/`` for a member of one organization (that
organization's own cases, newest change first, the related rows joined in the same query) and
renders each with its child, organization and assignee nested. What it lacks is what the
project's list adds: cursor pages (page numbers count every row: ``COUNT(*)`` on each request,
and a deep page is an ``OFFSET`` that reads all rows before it), rows read as plain values, and
the compiled encoder. Served at ``/bench/plain-cases/`` by ``benchmarks.urls`` under the
benchmark settings only; never part of the project's API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer

from accounts.models import Membership, Organization, User
from cases.models import Case, Child


class PlainChildSerializer(serializers.ModelSerializer[Child]):
    class Meta:
        model = Child
        exclude = ["search_text", "distinguishing_notes"]


class PlainOrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "name"]


class PlainUserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "username"]


# Country fields as the library serializes them (a code), as a plain project would.
class PlainCaseSerializer(CountryFieldMixin, serializers.ModelSerializer[Case]):
    child = PlainChildSerializer()
    organization = PlainOrganizationSerializer()
    assignee = PlainUserSerializer(allow_null=True)

    class Meta:
        model = Case
        exclude = ["circumstances", "created_by"]


class PlainPagination(PageNumberPagination):
    page_size = 50


class PlainCaseViewSet(viewsets.ReadOnlyModelViewSet[Case]):
    serializer_class = PlainCaseSerializer
    pagination_class = PlainPagination
    renderer_classes = [JSONRenderer]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Case]:
        organizations = Membership.objects.filter(
            user_id=self.request.user.pk, is_active=True
        ).values("organization_id")
        return (
            Case.objects.filter(organization_id__in=organizations)
            .select_related("child", "organization", "assignee")
            .order_by("-updated_at", "-id")
        )
