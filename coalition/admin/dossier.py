"""The country dossier in the admin: a page per state (``/admin/coalition/dossier/<code>/``)
with a country picker, every section of the dossier and a compact chart of the state's
membership, votes and children's counts, drawn on the server. Read only; every role that reads
the coalition sees it, others are refused (403)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.authentication import request_actor
from cases.workflow import Status
from core.charts import counts_chart
from core.errors import ValidationFailed

from .. import charts
from ..models import Dossier, MemberRole, Vote
from ..selectors.dossier import CountryDossier, countries_in_records, country_dossier
from ..services.common import can_read_coalition


class CountryPickerForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["country"]
        field.choices = [("", "---------"), *((code, name) for code, name in countries)]


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    """No list nor form of its own: the index is the country picker, each state its page."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._reads(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @staticmethod
    def _reads(request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_authenticated and user.is_active) and can_read_coalition(
            request_actor(request)
        )

    def get_urls(self) -> list[URLPattern]:
        picker: Callable[..., HttpResponse] = self.admin_site.admin_view(self.picker_view)
        page: Callable[..., HttpResponse] = self.admin_site.admin_view(self.dossier_view)
        return [
            path("", picker, name="coalition_dossier_changelist"),
            path("<str:code>/", page, name="coalition_dossier_country"),
        ]

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "picker_url": reverse(f"{self.admin_site.name}:coalition_dossier_changelist"),
            **extra,
        }

    def picker_view(self, request: HttpRequest) -> HttpResponse:
        """The states the records name, and a picker of any country; a picked country goes to
        its page."""
        if not self._reads(request):
            raise PermissionDenied
        form = CountryPickerForm(request.GET or None)
        if form.is_valid():
            return HttpResponseRedirect(self._country_url(form.cleaned_data["country"]))
        rows = countries_in_records(actor=request_actor(request))
        context = self._context(
            request,
            title=_("Country dossiers"),
            form=form,
            states=[
                (row, self._country_url(row.code), MemberRole(row.role).label if row.role else "")
                for row in rows
            ],
        )
        return TemplateResponse(request, "admin/coalition/dossier/picker.html", context)

    def dossier_view(self, request: HttpRequest, code: str) -> HttpResponse:
        if not self._reads(request):
            raise PermissionDenied
        try:
            dossier = country_dossier(actor=request_actor(request), country=code)
        except ValidationFailed as refused:
            form = CountryPickerForm()
            context = self._context(
                request, title=_("Country dossiers"), form=form, states=[], error=refused.detail
            )
            return TemplateResponse(
                request, "admin/coalition/dossier/picker.html", context, status=400
            )
        if dossier.code != code:
            return HttpResponseRedirect(self._country_url(dossier.code))
        context = self._context(
            request,
            title=_("Dossier: %(country)s") % {"country": dossier.name},
            form=CountryPickerForm(initial={"country": dossier.code}),
            dossier=dossier,
            **_chart_context(dossier),
            role_label=(
                str(MemberRole(dossier.membership.role).label) if dossier.membership else ""
            ),
        )
        return TemplateResponse(request, "admin/coalition/dossier/country.html", context)

    def _country_url(self, code: str) -> str:
        return reverse(
            f"{self.admin_site.name}:coalition_dossier_country", kwargs={"code": code.upper()}
        )


def _chart_context(dossier: CountryDossier) -> dict[str, Any]:
    vote_labels = {v.value: str(v.label) for v in Vote}
    dates = [
        *(m.held_on for m in dossier.meetings),
        *(v.voted_on for v in dossier.votes),
        *(s.issued_on for s in dossier.statements),
    ]
    status_label = {s.value: str(s.label) for s in Status}
    return {
        "timeline": charts.membership_timeline(
            dossier.membership,
            dates=dates,
            today=timezone.localdate(),
            title=str(_("Membership of the coalition over time")),
        ),
        "vote_tiles": charts.vote_tiles(dossier.votes, labels=vote_labels),
        "vote_bars": counts_chart(
            (vote_labels[vote], count) for vote, count in dossier.vote_totals.items()
        ),
        "children_now": counts_chart(
            (status_label[status], count) for status, count in dossier.children.now.items()
        ),
        "children_ever": counts_chart(
            (status_label[status], count) for status, count in dossier.children.ever.items()
        ),
    }
