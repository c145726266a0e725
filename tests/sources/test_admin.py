"""Sources, evidence, the chain of custody and published figures in the admin: the lists and
pages, uploads and downloads through the services (custody recorded), who may do what, and the
chart of published figures beside the registry's own counts. All data is synthetic."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases import services as case_services
from core.uploads import MULTIPART_ALLOWANCE
from sources import figures
from sources.models import CustodyAction, CustodyEvent, Evidence, PublishedFigure, Source
from tests.cases.admin_pages import messages_of
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case, move_case
from tests.factories.sources import make_evidence, make_source, receive, text_bytes

pytestmark = pytest.mark.django_db

SOURCES = reverse("admin:sources_source_changelist")
UPLOAD = reverse("admin:sources_source_add")
CUSTODY = reverse("admin:sources_custodyevent_changelist")
EVIDENCE = reverse("admin:sources_evidence_changelist")
FIGURES = reverse("admin:sources_publishedfigure_changelist")
CHART = reverse("admin:sources_publishedfigure_chart")


def change(source: Source) -> str:
    return reverse("admin:sources_source_change", args=[source.pk])


def download(source: Source) -> str:
    return reverse("admin:sources_source_download", args=[source.pk])


@pytest.fixture
def superuser() -> User:
    return UserFactory.create(username="synthetic-admin", is_superuser=True)


def signed_in(client: Any, user: User) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def caseworker(home: Any) -> User:
    return make_member("caseworker", home)


# -- lists and pages --------------------------------------------------------------------------
def test_source_list_shows_only_what_the_user_may_see(client, home, caseworker):
    own = make_source(organization=home, title="Synthetic own testimony")
    public = make_source(kind="news_article", title="Synthetic public article")
    other = make_source(
        organization=OrganizationFactory.create(name="Synthetic other"),
        title="Synthetic foreign testimony",
    )

    response = signed_in(client, caseworker).get(SOURCES)

    assert response.status_code == 200
    listed = {s.pk for s in response.context["cl"].result_list}
    assert listed == {own.pk, public.pk}
    assert other.title not in response.content.decode()
    # Out of sight is not found: the change page of another organization's source redirects.
    assert client.get(change(other)).status_code == 302
    assert client.get(download(other)).status_code == 404


def test_change_page_shows_the_file_the_evidence_and_the_custody_chain(
    client, home, caseworker, superuser
):
    case = make_case(organization=home)
    content = text_bytes("page")
    source = receive(content, organization=home, kind="testimony", title="Synthetic testimony")
    make_evidence(source, case, page="7", excerpt="Synthetic excerpt")
    client = signed_in(client, superuser)
    client.get(download(source))

    response = client.get(change(source))

    assert response.status_code == 200
    page = response.content.decode()
    assert source.sha256 in page
    assert 'id="source-custody"' in page
    assert page.count('class="custody-') == 2  # received, downloaded
    assert 'id="source-evidence"' in page
    assert case.number in page
    assert "Synthetic excerpt" in page
    assert download(source) in page


def test_admin_download_streams_the_file_and_records_custody_every_time(client, home, caseworker):
    content = text_bytes("admin download")
    source = receive(content, organization=home, kind="testimony", filename="notes.txt")
    client = signed_in(client, caseworker)

    for _ in range(2):
        response = client.get(download(source))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"

    events = CustodyEvent.objects.filter(source=source, action=CustodyAction.DOWNLOADED)
    assert events.count() == 2
    assert {(e.actor_id, e.sha256_seen) for e in events} == {(caseworker.pk, source.sha256)}


def test_admin_download_of_a_source_without_a_file_says_so(client, home, caseworker):
    source = make_source(organization=home)

    response = signed_in(client, caseworker).get(download(source), follow=True)

    assert "This source has no file." in messages_of(response)


# -- receiving --------------------------------------------------------------------------------
def test_upload_through_the_admin_receives_the_file_through_the_service(client, home, caseworker):
    content = text_bytes("admin upload")
    client = signed_in(client, caseworker)
    assert client.get(UPLOAD).status_code == 200

    response = client.post(
        UPLOAD,
        {
            "file": SimpleUploadedFile("field-notes.txt", content),
            "kind": "testimony",
            "title": "Synthetic field notes",
            "language": "en",
        },
    )

    source = Source.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change(source)
    assert source.sha256 == hashlib.sha256(content).hexdigest()
    assert (source.size, source.media_type) == (len(content), "text/plain")
    assert (source.organization, source.created_by, source.title) == (
        home,
        caseworker,
        "Synthetic field notes",
    )
    (event,) = CustodyEvent.objects.filter(source=source)
    assert (event.action, event.actor, event.sha256_seen) == ("received", caseworker, source.sha256)

    again = client.post(
        UPLOAD, {"file": SimpleUploadedFile("copy.txt", content), "kind": "other"}, follow=True
    )
    assert Source.objects.count() == 1
    assert any("already in the registry" in m for m in messages_of(again))


@pytest.mark.parametrize("size", [101, 100 + MULTIPART_ALLOWANCE + 1])
def test_oversize_upload_is_refused_while_it_streams(client, home, caseworker, settings, size):
    settings.SOURCES_MAX_UPLOAD_BYTES = 100
    client = Client(enforce_csrf_checks=True)  # the CSRF check reads the body first
    client.force_login(caseworker)
    token = client.get(UPLOAD).context["csrf_token"]

    response = client.post(
        UPLOAD,
        {
            "file": SimpleUploadedFile("big.txt", b"x" * size),
            "kind": "other",
            "csrfmiddlewaretoken": str(token),
        },
        follow=True,
    )

    assert response.redirect_chain == [(UPLOAD, 302)]
    assert any("100 bytes" in m for m in messages_of(response))
    assert not Source.objects.exists()


def test_upload_page_still_checks_the_csrf_token(client, home, caseworker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)

    response = client.post(UPLOAD, {"file": SimpleUploadedFile("a.txt", b"x"), "kind": "other"})

    assert response.status_code == 403
    assert not Source.objects.exists()


def test_upload_refusals_are_shown_on_the_form(client, home, caseworker, settings):
    client = signed_in(client, caseworker)
    refused = client.post(
        UPLOAD,
        {"file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + bytes(range(256))), "kind": "other"},
    )
    assert refused.status_code == 200
    assert any("not accepted" in str(e) for e in refused.context["form"].errors["file"])
    assert not Source.objects.exists()


def test_upload_of_two_files_in_one_field_is_refused_on_the_form(client, home, caseworker):
    # The admin's file field would keep the last and drop the other: the service's rule holds.
    files = [SimpleUploadedFile(f"{n}.txt", text_bytes(n)) for n in ("one", "two")]
    refused = signed_in(client, caseworker).post(
        UPLOAD, {"file": files, "kind": "other", "title": "Synthetic notes"}
    )
    assert refused.status_code == 200
    assert any("Send one file" in str(e) for e in refused.context["form"].errors["file"])
    assert not Source.objects.exists()


def test_source_known_by_url_is_recorded_through_the_admin(client, home, caseworker):
    response = signed_in(client, caseworker).post(
        UPLOAD,
        {"kind": "news_article", "title": "Synthetic article", "url": "https://example.org/a"},
    )

    source = Source.objects.get()
    assert response.status_code == 302
    assert (source.url, source.sha256) == ("https://example.org/a", "")


def test_upload_page_is_refused_to_who_does_not_receive_sources(client, home):
    coordinator = make_member("coordinator", home)

    assert signed_in(client, coordinator).get(UPLOAD).status_code == 403


# -- changes and judgements -------------------------------------------------------------------
def test_change_page_saves_metadata_and_judgement_through_the_services(client, home, caseworker):
    source = make_source(organization=home, title="Synthetic before")
    client = signed_in(client, caseworker)
    page = client.get(change(source))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"title": "Synthetic after", "reliability": "C", "credibility": "3"})

    response = client.post(change(source), data)

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    source.refresh_from_db()
    assert (source.title, source.reliability, source.credibility) == ("Synthetic after", "C", 3)
    assert source.reliability_judged_by == caseworker
    assert source.credibility_judged_at is not None


def test_readers_see_a_source_read_only(client, home):
    owner = make_case(organization=home)
    partner_org = OrganizationFactory.create(name="Synthetic partner")
    case_services.case_share_create(
        case=owner,
        actor=None,
        organization=partner_org,
        scope="full",
        reason="Synthetic",
        consent_reference="SYN",
    )
    source = make_source(organization=home)
    make_evidence(source, owner)
    partner = make_member("partner", partner_org)

    response = signed_in(client, partner).get(change(source))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.post(change(source), {"title": "Changed"}).status_code == 403


# -- the chain of custody: read only for everyone ---------------------------------------------
def test_custody_events_are_never_added_changed_or_deleted(client, home, superuser):
    source = receive(text_bytes("chain"), organization=home)
    event = CustodyEvent.objects.get(source=source)
    client = signed_in(client, superuser)

    listed = client.get(CUSTODY, {"source__id__exact": source.pk})
    assert listed.status_code == 200
    assert [e.pk for e in listed.context["cl"].result_list] == [event.pk]
    assert client.get(reverse("admin:sources_custodyevent_add")).status_code == 403
    page = client.get(reverse("admin:sources_custodyevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    delete = reverse("admin:sources_custodyevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert CustodyEvent.objects.filter(pk=event.pk).exists()


def test_custody_list_shows_only_the_chains_of_visible_sources(client, home, caseworker):
    mine = receive(text_bytes("mine"), organization=home, kind="testimony")
    receive(
        text_bytes("theirs"),
        organization=OrganizationFactory.create(name="Synthetic elsewhere"),
        kind="testimony",
    )

    response = signed_in(client, caseworker).get(CUSTODY)

    assert {e.source_id for e in response.context["cl"].result_list} == {mine.pk}


# -- evidence ---------------------------------------------------------------------------------
def test_evidence_is_linked_and_unlinked_through_the_services(client, home, caseworker):
    case = make_case(organization=home)
    source = make_source(organization=home)
    client = signed_in(client, caseworker)

    response = client.post(
        reverse("admin:sources_evidence_add"),
        {"source": source.pk, "case": case.pk, "fact": "identity", "page": "2", "excerpt": ""},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    link = Evidence.objects.get()
    assert (link.created_by, link.page) == (caseworker, "2")
    delete = reverse("admin:sources_evidence_delete", args=[link.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Evidence.objects.exists()


def test_evidence_of_a_case_is_read_only_for_those_it_is_shared_with(client, home):
    case = make_case(organization=home)
    partner_org = OrganizationFactory.create(name="Synthetic partner")
    case_services.case_share_create(
        case=case,
        actor=None,
        organization=partner_org,
        scope="full",
        reason="Synthetic",
        consent_reference="SYN",
    )
    link = make_evidence(make_source(organization=home), case)
    client = signed_in(client, make_member("partner", partner_org))

    assert client.get(EVIDENCE).status_code == 200
    delete = reverse("admin:sources_evidence_delete", args=[link.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Evidence.objects.filter(pk=link.pk).exists()


# -- published figures and the chart ----------------------------------------------------------
CLAIMS = [
    ("Synthetic Kyiv government", "deported", 19400, "", "at_least", "2023-03-01", "season"),
    ("Synthetic officials", "returned", 360, "", "more_than", "2023-03-01", "season"),
    ("Synthetic government", "deported", 16000, "", "nearly", "2023-04-28", "day"),
    (
        "Synthetic state <b>quoted</b>",
        "deported",
        None,
        "hundreds of thousands",
        "stated",
        "2023-12-08",
        "day",
    ),
    ("Synthetic delegation", "deported", 20000, "", "stated", "2025-06-02", "day"),
]


def _record_claims() -> list[PublishedFigure]:
    recorded = []
    for claimant, metric, value, words, qualifier, as_of, precision in CLAIMS:
        recorded.append(
            figures.figure_record(
                actor=None,
                data={
                    "claimant": claimant,
                    "metric": metric,
                    "description": "Synthetic count",
                    "value": value,
                    "value_text": words,
                    "qualifier": qualifier,
                    "as_of": dt.date.fromisoformat(as_of),
                    "as_of_precision": precision,
                    "as_of_label": "spring 2023" if precision == "season" else "",
                },
            )
        )
    return recorded


def test_figures_list_links_to_the_chart(client, superuser):
    _record_claims()

    response = signed_in(client, superuser).get(FIGURES)

    assert response.status_code == 200
    assert CHART in response.content.decode()
    assert "at least 19,400" in response.content.decode()


def test_chart_draws_every_claimant_beside_the_registry_counts(client, home, superuser):
    _record_claims()
    make_case(organization=home)
    move_case(make_case(organization=home), "verifying")

    response = signed_in(client, superuser).get(CHART)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") >= 3  # a panel per metric, and the registry's counts
    for claimant, *_rest in CLAIMS:
        if "<" not in claimant:
            assert claimant in page
    # Labels are escaped, never markup.
    assert "Synthetic state <b>quoted</b>" not in page
    assert "Synthetic state &lt;b&gt;quoted&lt;/b&gt;" in page
    assert "at least 19,400" in page
    assert "more than 360" in page
    assert "nearly 16,000" in page
    assert "“hundreds of thousands”" in page  # a claim without a number, in words
    assert 'class="registry-counts"' in page
    counts = re.findall(r'<g class="registry-status">\s*<title>([^<]+)</title>', page)
    assert "Reported: 1" in counts
    assert "Verifying: 1" in counts
    # Under the CSP: no inline script or style, the stylesheet from this origin.
    assert "<script>" not in page
    assert "<style" not in page
    assert ' style="' not in page
    assert "/static/sources/admin/figures_chart.css" in page
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_chart_hides_the_registry_counts_from_roles_without_aggregates(client):
    _record_claims()
    partner = make_member("partner", OrganizationFactory.create(name="Synthetic partner"))

    response = signed_in(client, partner).get(CHART)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Synthetic Kyiv government" in page
    assert 'class="registry-counts"' not in page


def test_chart_without_figures_says_so(client, superuser):
    response = signed_in(client, superuser).get(CHART)

    assert response.status_code == 200
    assert "No published figure has been recorded yet." in response.content.decode()


def test_figures_are_recorded_through_the_admin_by_writers_only(client, home, caseworker):
    client = signed_in(client, caseworker)
    add = reverse("admin:sources_publishedfigure_add")
    data = {
        "claimant": "Synthetic ministry",
        "metric": "returned",
        "description": "Synthetic children brought back",
        "qualifier": "stated",
        "value": "1850",
        "value_text": "",
        "as_of": "2025-07-01",
        "as_of_precision": "half_year",
        "as_of_label": "late 2025",
        "note": "",
    }

    response = client.post(add, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    figure = PublishedFigure.objects.get()
    assert (figure.value, figure.created_by) == (1850, caseworker)
    partner = make_member("partner", OrganizationFactory.create(name="Synthetic partner"))
    client.force_login(partner)
    assert client.get(add).status_code == 403
    assert client.get(FIGURES).status_code == 200


# -- the chart's geometry ---------------------------------------------------------------------
def _point(claimant: str, metric: str, as_of: str, value: int | None, words: str = "") -> Any:
    from sources.figures import FigurePoint

    return FigurePoint(
        id=0,
        claimant=claimant,
        metric=metric,
        as_of=dt.date.fromisoformat(as_of),
        as_of_precision="day",
        label=as_of,
        value=value,
        value_text=words,
        qualifier="at_least" if value else "stated",
        source_id=None,
    )


def test_chart_has_a_panel_per_metric_and_a_series_per_claimant():
    from sources.charts import figures_chart, nice_step

    points = [
        _point("Claimant B", "returned", "2023-03-01", 360),
        _point("Claimant A", "returned", "2025-07-01", 1850),
        _point("Claimant A", "deported", "2023-03-01", 19400),
        _point("Claimant A", "deported", "2025-07-01", 20000),
        _point("Claimant C", "deported", "2023-12-08", None, "hundreds of thousands"),
    ]

    chart = figures_chart(points)

    assert [panel.metric for panel in chart.panels] == ["deported", "returned"]
    assert [entry.claimant for entry in chart.legend] == ["Claimant A", "Claimant B", "Claimant C"]
    deported, returned = chart.panels
    by_claimant = {series.claimant: series for series in deported.series}
    assert set(by_claimant) == {"Claimant A", "Claimant C"}
    early, late = by_claimant["Claimant A"].points
    assert early.x < late.x
    assert late.y < early.y  # a larger figure is drawn higher
    assert early.label.endswith("19,400")
    assert len(by_claimant["Claimant C"].points) == 0
    (words,) = by_claimant["Claimant C"].annotations
    assert "“hundreds of thousands”" in words.text
    assert deported.plot_top > returned.plot_top  # room above for the annotation
    # The same claimant has the same colour in every panel.
    pairs = {(s.claimant, s.colour) for panel in chart.panels for s in panel.series}
    assert len(pairs) == len({claimant for claimant, _colour in pairs}) == 3
    assert (nice_step(21340), nice_step(0), nice_step(396)) == (5000.0, 1.0, 100.0)


def test_counts_chart_draws_a_bar_per_status_in_proportion():
    from core.charts import counts_chart

    chart = counts_chart([("Reported", 4), ("Verifying", 2), ("Closed", 0)])

    assert [bar.label for bar in chart.bars] == ["Reported", "Verifying", "Closed"]
    reported, verifying, closed = chart.bars
    assert verifying.width == pytest.approx(reported.width / 2)
    assert closed.width == 0
    assert chart.total == 6
