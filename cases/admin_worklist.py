"""The case list's work-list filters: the lists behind the home page's numbers.

Each filter applies the same condition the home page counts with (``cases.selectors_home``), so
a number and its list agree. A value the filter does not know is refused as Django refuses an
unknown lookup (the list shows its "invalid filter" page), never silently ignored.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .selectors_home import (
    WorkListCondition,
    closure_pending_condition,
    follow_up_condition,
    share_expiring_condition,
)


class _WorkListFilter(admin.SimpleListFilter):
    choices_: tuple[tuple[str, Any], ...] = ()

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(self.choices_)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if value not in dict(self.choices_):
            raise IncorrectLookupParameters(f"{self.parameter_name}={value!r}")
        return self.narrow(queryset, value)

    def narrow(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        raise NotImplementedError


class FollowUpFilter(_WorkListFilter):
    title = _("follow-ups")
    parameter_name = "follow_up"
    choices_ = (
        (WorkListCondition.FOLLOW_UP_OVERDUE, _("Overdue")),
        (WorkListCondition.FOLLOW_UP_DUE, _("Due soon")),
    )

    def narrow(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        return queryset.filter(follow_up_condition(value))


class ClosureRequestFilter(_WorkListFilter):
    title = _("closure request")
    parameter_name = "closure"
    choices_ = ((WorkListCondition.CLOSURE_PENDING, _("Waiting for a decision")),)

    def narrow(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        return queryset.filter(closure_pending_condition())


class ShareFilter(_WorkListFilter):
    title = _("shares")
    parameter_name = "share"
    choices_ = ((WorkListCondition.SHARE_EXPIRING, _("Ending soon")),)

    def narrow(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        return queryset.filter(share_expiring_condition())


WORK_LIST_FILTERS: tuple[type[admin.SimpleListFilter], ...] = (
    FollowUpFilter,
    ClosureRequestFilter,
    ShareFilter,
)
