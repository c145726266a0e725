"""The case page's layout: a summary at the top, then sections a caseworker folds and unfolds.

``CaseAdmin`` keeps its fieldsets and inlines; this module sorts them into sections (identity
and aliases, whereabouts, relatives, documents, services and follow-ups, shares and closure),
adds the summary (child, status and its moves, owner, assignee, whereabouts now with the
distance from home, documents) and the panels other apps contribute.

Apps above ``cases`` in the layers (``sources``: the documents that support a case) add their
section through ``register_case_panel`` at start-up rather than being imported from here: the
case page knows only the ``CasePanel`` protocol, never the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.admin import AdminSite
from django.contrib.admin.helpers import AdminForm, Fieldset, InlineAdminFormSet
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import URLPattern
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from . import workflow
from .models import Case, ChildAlias, FollowUp, Relative, Service, Whereabouts
from .workflow import Status

# Ids of the page's sections (``case-section-<key>`` in the page), in the page's order.
CASE = "case"
IDENTITY = "identity"
TAKING = "taking"
WHEREABOUTS = "whereabouts"
RELATIVES = "relatives"
DOCUMENTS = "documents"
SERVICES = "services"
SHARES = "shares"
TIMELINE = "timeline"
MORE = "more"

_SECTION_TITLES: dict[str, Any] = {
    CASE: _("Case record and assignment"),
    IDENTITY: _("Identity and aliases"),
    TAKING: _("How the child was taken and legal status"),
    WHEREABOUTS: _("Whereabouts history"),
    RELATIVES: _("Relatives"),
    DOCUMENTS: _("Documents and evidence"),
    SERVICES: _("Services and follow-ups"),
    SHARES: _("Shares and closure"),
    TIMELINE: _("Timeline"),
    MORE: _("More"),
}
_ORDER = [CASE, IDENTITY, TAKING, WHEREABOUTS, RELATIVES, DOCUMENTS, SERVICES, SHARES, TIMELINE]

# A fieldset goes to the section of the first of these fields it shows; any other to "More",
# so a fieldset added to ``CaseAdmin`` is never lost from the page.
_FIELDSET_SECTIONS: dict[str, str] = {
    "number": CASE,
    "returned_on": CASE,
    "family_name": IDENTITY,
    "birth_year": IDENTITY,
    "current_whereabouts": WHEREABOUTS,
    "pathway": TAKING,
    "russian_citizenship_imposed": TAKING,
}
_INLINE_SECTIONS: dict[type[Any], str] = {
    ChildAlias: IDENTITY,
    Whereabouts: WHEREABOUTS,
    Relative: RELATIVES,
    Service: SERVICES,
    FollowUp: SERVICES,
}


# ---------------------------------------------------------------------------------------------
# Panels other apps contribute
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SummaryItem:
    """One line of the summary a panel adds: a label, a value, where to read more."""

    label: Any
    value: Any
    url: str = ""


@dataclass(frozen=True)
class PanelSection:
    """What a panel shows on one case's page: its section's template and context, and lines
    for the summary at the top."""

    template: str
    context: dict[str, Any]
    count: int | None = None
    summary: Sequence[SummaryItem] = ()


class CasePanel(Protocol):
    """A section an app above ``cases`` adds to the case page."""

    @property
    def key(self) -> str:
        """The section it fills (``DOCUMENTS``) or a key of its own."""
        ...

    def section(self, request: HttpRequest, case: Case) -> PanelSection | None:
        """The section for ``case`` as the request's user sees it (None: not shown). Called
        only for a case the user sees; reads stay within what the user may see."""
        ...

    def urls(self, site: AdminSite) -> list[URLPattern]:
        """Pages of its own under the case's URL (``<case id>/…``) on ``site``, each view
        wrapped with ``site.admin_view`` (the admin's login and permission check)."""
        ...

    def history_records(self, case: Case) -> dict[str, list[str]]:
        """Records whose audit events belong in the case's history: ``{object_type: [ids]}``."""
        ...


_PANELS: dict[str, CasePanel] = {}


def register_case_panel(panel: CasePanel) -> None:
    """Add ``panel`` to every case page (once per key; called from an app's ``ready()``)."""
    existing = _PANELS.get(panel.key)
    if existing is not None and type(existing) is not type(panel):
        raise ImproperlyConfigured(f"Two case page panels claim the key {panel.key!r}.")
    _PANELS[panel.key] = panel


def case_panels() -> list[CasePanel]:
    return list(_PANELS.values())


# ---------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoveLink:
    label: Any
    target_label: Any
    url: str
    backward: bool


@dataclass(frozen=True)
class CaseSummary:
    family_name: str
    given_name: str
    patronymic: str
    full_name_latin: str
    status_label: Any
    phase_label: Any
    # The moves this user may make now, as links; the workflow's next statuses otherwise.
    moves: list[MoveLink]
    next_statuses: list[Any]
    organization: str
    assignee: str
    whereabouts: str
    distance: str
    extra: list[SummaryItem] = field(default_factory=list)


def distance_km(case: Case) -> float | None:
    """Kilometres from the child's home to where the child is now; ``None`` when a place or
    its coordinates are not known."""
    child = case.child
    current = child.current_whereabouts
    if current is None:
        return None
    current.child = child  # at hand already: no query back to it
    return current.distance_from_home_km()


def kilometres(km: float) -> str:
    """A distance in whole kilometres, grouped as the reader's language writes numbers."""
    return number_format(round(km), force_grouping=True)


def distance_in_words(case: Case) -> str:
    """The distance from the child's home to where the child is now, or why it is unknown."""
    if case.child.current_whereabouts is None:
        return gettext("unknown: no whereabouts recorded")
    km = distance_km(case)
    if km is None:
        return gettext("unknown: the coordinates of home or of the current place are missing")
    return gettext("%(km)s km from home") % {"km": kilometres(km)}


def whereabouts_in_words(current: Whereabouts | None) -> str:
    """Where the child is now: the facility or settlement, the country's name, since when."""
    if current is None:
        return gettext("unknown")
    facility = current.facility if current.facility_id else None
    place = [facility.name if facility is not None else "", current.settlement]
    place.append(str(countries.name(str(current.country)) or current.country))
    return gettext("%(place)s, since %(date)s") % {
        "place": ", ".join(part for part in place if part),
        "date": date_format(current.from_date, "SHORT_DATE_FORMAT"),
    }


def case_summary(case: Case, moves: Iterable[MoveLink]) -> CaseSummary:
    child = case.child
    moves = list(moves)
    return CaseSummary(
        family_name=child.family_name,
        given_name=child.given_name,
        patronymic=child.patronymic,
        full_name_latin=child.full_name_latin,
        status_label=Status(case.status).label,
        phase_label=case.phase_label,
        moves=moves,
        next_statuses=[]
        if moves
        else [Status(t.target).label for t in workflow.transitions_from(case.status)],
        organization=case.organization.name,
        assignee=str(case.assignee) if case.assignee_id else gettext("Not assigned"),
        whereabouts=whereabouts_in_words(child.current_whereabouts),
        distance=distance_in_words(case),
    )


# ---------------------------------------------------------------------------------------------
# The sections
# ---------------------------------------------------------------------------------------------
@dataclass
class CaseSection:
    key: str
    title: Any
    fieldsets: list[Fieldset] = field(default_factory=list)
    inlines: list[InlineAdminFormSet] = field(default_factory=list)
    # Parts outside the form's fields: (template, context) each.
    parts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    count: int | None = None
    has_errors: bool = False

    @property
    def dom_id(self) -> str:
        return f"case-section-{self.key}"


def _field_names(fieldset: Fieldset) -> list[str]:
    """The names a fieldset shows, its lines of several fields included."""
    names: list[str] = []
    for line in getattr(fieldset, "fields", ()):
        names.extend(line if isinstance(line, list | tuple) else (line,))
    return names


def _fieldset_section(fieldset: Fieldset) -> str:
    for name in _field_names(fieldset):
        if name in _FIELDSET_SECTIONS:
            return _FIELDSET_SECTIONS[name]
    return MORE


def _fieldset_has_errors(fieldset: Fieldset) -> bool:
    form = fieldset.form
    return any(
        bool(form.errors.get(name)) for name in _field_names(fieldset) if name in form.fields
    )


def _formset_has_errors(inline: InlineAdminFormSet) -> bool:
    formset = inline.formset
    return formset.is_bound and (bool(formset.non_form_errors()) or any(formset.errors))


def _recorded_rows(inlines: list[InlineAdminFormSet]) -> int | None:
    if not inlines:
        return None
    return sum(inline.formset.initial_form_count() for inline in inlines)


def case_sections(
    adminform: AdminForm,
    inlines: Iterable[InlineAdminFormSet],
    parts: dict[str, list[tuple[str, dict[str, Any]]]],
    counts: dict[str, int | None],
) -> list[CaseSection]:
    """The page's sections in order, each with its fieldsets, inlines and other parts; a
    section with nothing in it is left out, one with an error is marked (the page opens it)."""
    sections = {key: CaseSection(key=key, title=_SECTION_TITLES[key]) for key in [*_ORDER, MORE]}
    for fieldset in adminform:
        section = sections[_fieldset_section(fieldset)]
        section.fieldsets.append(fieldset)
        section.has_errors |= _fieldset_has_errors(fieldset)
    for inline in inlines:
        section = sections[_INLINE_SECTIONS.get(inline.formset.model, MORE)]
        section.inlines.append(inline)
        section.has_errors |= _formset_has_errors(inline)
    for key, templates in parts.items():
        if key not in sections:  # a panel's section of its own
            sections[key] = CaseSection(key=key, title=_SECTION_TITLES[MORE])
        sections[key].parts.extend(templates)
    for section in sections.values():
        # The records a section's inlines hold, unless a part counts its own.
        section.count = counts.get(section.key, _recorded_rows(section.inlines))
    if adminform.form.non_field_errors():
        sections[CASE].has_errors = True
    return [s for s in sections.values() if s.fieldsets or s.inlines or s.parts]


def case_page_context(
    request: HttpRequest,
    case: Case,
    *,
    context: dict[str, Any],
    moves: list[MoveLink],
    history_url: str,
) -> dict[str, Any]:
    """What the change page adds to Django's context: the summary, the sections, the link to
    the history. ``context`` is the page's (its form, inlines, timeline, shares)."""
    summary = case_summary(case, moves)
    parts: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    counts: dict[str, int | None] = {}
    internals = context.get("shares") is not None
    if internals:
        parts[SHARES] = [("admin/cases/case/section_shares.html", {})]
        counts[SHARES] = sum(1 for row in context["shares"] if row.share.is_active)
    if context.get("timeline") is not None:
        parts[TIMELINE] = [("admin/cases/case/section_timeline.html", {})]
    for panel in case_panels():
        shown = panel.section(request, case)
        if shown is None:
            continue
        parts.setdefault(panel.key, []).append((shown.template, shown.context))
        if shown.count is not None:
            counts[panel.key] = shown.count
        summary.extra.extend(shown.summary)
    sections = case_sections(
        context["adminform"], context.get("inline_admin_formsets", []), parts, counts
    )
    return {
        "case_summary": summary,
        "case_sections": sections,
        "case_history_url": history_url,
    }
