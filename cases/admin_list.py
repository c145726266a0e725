"""The case list's own parts: a row per case on one line (the Latin name small under the
Cyrillic, what a search matched by beneath), the status as a coloured label, the filters every
caseworker needs at hand ("assigned to me", "my organization"), and the change list that knows
why each row of a name search came up.

Nothing here reads more than the page shown: the filters offer fixed choices (no ``DISTINCT``
over the cases), the search's explanation reads the page's aliases in one query, and the list
counts its rows only up to a limit (``CappedPaginator``): past it, the page says "more than N"."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from accounts.selectors import actor_roles

from .models import Case
from .selectors_search import SearchMatch, case_search_matches
from .workflow import Status

# The attribute a row of a name search carries its ``SearchMatch`` in.
SEARCH_MATCH = "search_match"
# The export's URL name (``admin_export``): its requests build the list without a page.
EXPORT_URL_NAME = "cases_case_export"
# How far the case list counts its rows (the ``CASE_LIST_COUNT_LIMIT`` setting overrides it):
# a hundred pages, more than anyone pages through; past it the list says "more than".
CASE_LIST_COUNT_LIMIT = 10_000


def count_limit() -> int:
    """The number of rows past which the case list stops counting."""
    return int(getattr(settings, "CASE_LIST_COUNT_LIMIT", CASE_LIST_COUNT_LIMIT))


# ---------------------------------------------------------------------------------------------
# Filters: fixed choices, always shown
# ---------------------------------------------------------------------------------------------
class _FixedChoicesFilter(admin.SimpleListFilter):
    """A filter whose choices do not depend on the data (so it is always there, and costs no
    query to draw); a value it does not offer is refused, not ignored."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        choices = dict(self.lookup_choices)
        if value not in choices:
            raise IncorrectLookupParameters(
                gettext("“%(value)s” is not a choice of the filter “%(filter)s”.")
                % {"value": value, "filter": self.title}
            )
        return self.narrow(request, queryset, value)

    def narrow(self, request: HttpRequest, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        raise NotImplementedError


class AssignedToMeFilter(_FixedChoicesFilter):
    title = _("assignment")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("me", _("Assigned to me")), ("nobody", _("Not assigned"))]

    def narrow(self, request: HttpRequest, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "me":
            return queryset.filter(assignee_id=request.user.pk)
        return queryset.filter(assignee__isnull=True)


class MyOrganizationFilter(_FixedChoicesFilter):
    """The cases of the user's own organizations, or those other organizations shared with
    them (what the list shows is already only what the user may see)."""

    title = _("whose cases")
    parameter_name = "held_by"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("My organization")), ("shared", _("Shared with my organization"))]

    def narrow(self, request: HttpRequest, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        own = actor_roles(request.user).organizations(Capability.CASE_READ)
        if value == "mine":
            return queryset.filter(organization_id__in=own)
        return queryset.exclude(organization_id__in=own)


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------
@admin.display(description=_("status"), ordering="status")
def case_status(case: Case) -> SafeString:
    """The status as a label coloured by status (``case_list.css``); its text says it all, the
    colour only helps the eye."""
    known = case.status in Status.values
    label = Status(case.status).label if known else case.status
    return format_html(
        '<span class="case-status case-status-{}">{}</span>',
        case.status if known else "unknown",
        label,
    )


def _match_note(match: SearchMatch) -> SafeString:
    parts: list[str] = [
        format_html(gettext("alias “{name}” ({kind})"), name=name, kind=kind)
        for name, kind in match.aliases
    ]
    parts += [
        format_html(gettext("spelling “{spelling}”"), spelling=spelling)
        for spelling in match.spellings
    ]
    return format_html(
        '<small class="case-search-match">{}</small>',
        format_html(
            gettext("Found by {what}"),
            what=format_html_join("; ", "{}", ((part,) for part in parts)),
        ),
    )


def child_cell(case: Case) -> SafeString:
    """The child's name on one line, the official Latin form small beneath, and what a name
    search matched by when it was not the name itself."""
    child = case.child
    match = getattr(case, SEARCH_MATCH, None)
    return format_html(
        '<span class="case-child">{}</span><small class="case-child-latin quiet">{}</small>{}',
        child.full_name,
        child.full_name_latin,
        _match_note(match) if match else "",
    )


# ---------------------------------------------------------------------------------------------
# Change lists
# ---------------------------------------------------------------------------------------------
class CappedPaginator(Paginator):
    """A paginator that counts at most ``limit + 1`` rows (``SELECT count(*) FROM (SELECT id
    ... LIMIT limit + 1)``): a count of every matching case costs a read of them all, on every
    page of the list, to print one number. Below the limit the count is exact; past it
    ``capped`` is true, the pages run to the one that holds row ``limit + 1``, and the page
    says "more than ``limit``"."""

    def __init__(self, object_list: Any, per_page: int, *, limit: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.limit = limit

    @cached_property
    def count(self) -> int:
        rows = cast(QuerySet[Any], self.object_list)
        return int(rows.order_by().values("pk")[: self.limit + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > self.limit

    def page(self, number: Any) -> Page:
        if not self.capped:
            return super().page(number)
        # Django's page ends at ``count``: past the limit that is not where the rows end.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.object_list[bottom : bottom + self.per_page], number, self)


class CaseChangeList(ChangeList):
    """The case list: its rows counted up to a limit (``CappedPaginator``; ``count_capped``
    tells the templates to say "more than"), and after the page is read, each row of a name
    search learns what it was found by (``selectors_search.case_search_matches``: one query
    for the page)."""

    count_capped = False
    count_limit = ""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        paginator = self.paginator
        self.count_capped = isinstance(paginator, CappedPaginator) and paginator.capped
        if isinstance(paginator, CappedPaginator):
            # As the reader's language groups digits: "10,000", "10 000".
            self.count_limit = number_format(paginator.limit, force_grouping=True)
        if not self.query.strip():
            return
        rows = list(self.result_list)
        matches = case_search_matches(cases=rows, query=self.query)
        for row in rows:
            if row.pk in matches:
                setattr(row, SEARCH_MATCH, matches[row.pk])
        self.result_list = rows


class CaseExportChangeList(CaseChangeList):
    """The case list's filters, search and ordering without its page: what an export writes.
    Only the number of rows is read here; the rows are streamed by the export."""

    def get_results(self, request: HttpRequest) -> None:
        self.result_count = self.full_result_count = self.queryset.count()
        self.result_list = self.queryset.none()
        self.can_show_all = False
        self.multi_page = False
        self.show_full_result_count = False
        self.show_admin_actions = False


def changelist_class(request: HttpRequest) -> type[CaseChangeList]:
    """The list's ``ChangeList`` for a request: the export's own, or the page's."""
    match = request.resolver_match
    exporting = match is not None and match.url_name == EXPORT_URL_NAME
    return CaseExportChangeList if exporting else CaseChangeList
