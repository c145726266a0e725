"""Export of the case list as it is filtered and searched, to CSV or XLSX (the buttons above the
list carry its query string here).

The rows are the list's own queryset (``CaseAdmin.get_queryset``: ``selectors.case_list``, so
only what the user may see), with the list's filters, search and ordering applied by Django's
own ``ChangeList`` (of the export's kind: ``admin_list.CaseExportChangeList``); a filter the
list would refuse is refused here too. The file is streamed (``cases.exports``) and the export
recorded once, before the first row leaves, with its filters, its search (digests only) and its
number of rows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from audit.services import record_export
from core.spreadsheets import XLSX_MAX_ROWS

from . import selectors
from .admin_list import EXPORT_URL_NAME
from .exports import FORMATS, case_export_stream
from .models import Case


def export_urls(model_admin: ModelAdmin[Case]) -> list[URLPattern]:
    """The export's address, ``export/<csv|xlsx>/``, before the admin's own (whose catch-all
    would read "export" as a case's id)."""

    def view(request: HttpRequest, file_format: str) -> HttpResponseBase:
        return case_export_view(model_admin, request, file_format)

    return [
        path(
            "export/<str:file_format>/",
            model_admin.admin_site.admin_view(view),
            name=EXPORT_URL_NAME,
        )
    ]


def case_export_view(
    model_admin: ModelAdmin[Case], request: HttpRequest, file_format: str
) -> HttpResponseBase:
    if file_format not in FORMATS:
        raise Http404(gettext("There is no export in that format."))
    if request.method != "GET" or not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        # ``CaseAdmin.get_changelist`` gives the export's kind here (``admin_list``).
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        messages.error(
            request, gettext("The list's filters were not understood: nothing was exported.")
        )
        return HttpResponseRedirect(reverse("admin:cases_case_changelist") + f"?{ERROR_FLAG}=1")
    if file_format == "xlsx" and changelist.result_count >= XLSX_MAX_ROWS:
        # Refused before a byte is written (and so not recorded as an export).
        messages.error(
            request,
            gettext(
                "A spreadsheet sheet holds at most %(limit)s cases: narrow the list, or export "
                "it as CSV."
            )
            % {"limit": formats.number_format(XLSX_MAX_ROWS - 1, force_grouping=True)},
        )
        return HttpResponseRedirect(
            reverse("admin:cases_case_changelist") + f"?{request.GET.urlencode()}"
        )
    term = changelist.query.strip()
    record_export(
        actor=request.user,
        model=Case,
        file_format=file_format,
        count=changelist.result_count,
        query=request.GET,
        search_param=SEARCH_VAR,
        search=selectors.case_search_recorded(term) if term else None,
    )
    media_type, extension = FORMATS[file_format]
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(
        case_export_stream(
            changelist.queryset, file_format=file_format, count=changelist.result_count
        ),
        content_type=media_type,
    )
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response
