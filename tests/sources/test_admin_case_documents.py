"""The documents of a case on its admin page: listed with their reliability, counted in the
summary, and attached in one step (the file received as a source, linked as evidence, custody
and audit recorded), with refusals on the form and nothing half written."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from sources import services
from sources.models import CustodyAction, CustodyEvent, Evidence, Source
from tests.cases.admin_pages import change_url, messages_of
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case
from tests.factories.sources import make_evidence, make_source, receive, text_bytes

pytestmark = pytest.mark.django_db


def attach_url(case: Any) -> str:
    return reverse("admin:cases_case_attach_document", args=[case.pk])


@pytest.fixture
def caseworker(home: Any) -> Any:
    return make_member("caseworker", home)


@pytest.fixture
def case(home: Any) -> Any:
    return make_case(organization=home)


def post_document(client: Any, case: Any, content: bytes, **fields: Any) -> Any:
    data = {
        "file": SimpleUploadedFile("synthetic-statement.txt", content),
        "fact": "deportation",
        "kind": "testimony",
        "page": "2",
        "note": "Synthetic note",
        **fields,
    }
    return client.post(attach_url(case), data, follow=True)


def test_attaching_a_document_receives_it_and_links_it_as_evidence(client, caseworker, case, trail):
    client.force_login(caseworker)
    content = text_bytes("attached to a case")

    response = post_document(client, case, content)

    assert response.redirect_chain == [(change_url(case) + "#case-section-documents", 302)]
    source = Source.objects.get()
    evidence = Evidence.objects.get()
    assert (evidence.source, evidence.case, evidence.fact) == (source, case, "deportation")
    assert (evidence.page, evidence.note, evidence.created_by) == (
        "2",
        "Synthetic note",
        caseworker,
    )
    assert (source.organization, source.kind, source.created_by) == (
        case.organization,
        "testimony",
        caseworker,
    )
    assert len(source.sha256) == 64
    assert source.size == len(content)
    custody = CustodyEvent.objects.get(source=source)
    assert (custody.action, custody.actor, custody.sha256_seen) == (
        CustodyAction.RECEIVED,
        caseworker,
        source.sha256,
    )
    written = {(e.action, e.object_type, e.object_id) for e in trail()}
    assert ("create", "sources.source", str(source.pk)) in written
    assert ("create", "sources.evidence", str(evidence.pk)) in written
    assert any(f"Source #{source.pk} received" in m for m in messages_of(response))
    # Listed on the case page, with its reliability, and counted in the summary.
    page = response.content.decode()
    documents = page.split('id="case-documents"')[1]
    assert source.title in documents
    assert "not judged yet" in documents
    summary = response.context["case_summary"]
    assert [(str(i.label), i.value) for i in summary.extra] == [
        ("Documents", "1 supporting the case")
    ]


def test_case_page_lists_documents_with_their_reliability(client, user, case):
    judged = make_source(title="Synthetic judged statement")
    services.source_judge(source=judged, actor=None, reliability="B", credibility=2)
    make_evidence(judged, case, fact="identity", page="7")
    make_evidence(make_source(title="Synthetic unjudged note"), case)
    client.force_login(user)

    response = client.get(change_url(case))

    section = next(s for s in response.context["case_sections"] if s.key == "documents")
    assert section.count == 2
    documents = response.content.decode().split('id="case-documents"')[1].split("</table>")[0]
    judged_row = documents.split("Synthetic judged statement")[1].split("</tr>")[0]
    assert "B: usually reliable" in judged_row
    assert "2: probably true" in judged_row
    assert "Identity" in judged_row
    unjudged_row = documents.split("Synthetic unjudged note")[1].split("</tr>")[0]
    assert "not judged yet" in unjudged_row
    assert attach_url(case) in response.content.decode()


def test_a_refused_file_is_shown_on_the_form_and_nothing_is_written(
    client, caseworker, case, trail, stored_files
):
    client.force_login(caseworker)

    response = post_document(client, case, b"MZ\x90\x00" + bytes(range(256)))

    assert response.status_code == 200
    assert any("not accepted" in str(e) for e in response.context["form"].errors["file"])
    assert not Source.objects.exists()
    assert not Evidence.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert not trail().filter(action__in=["create", "update", "delete"]).exists()
    assert stored_files() == []


def test_a_form_error_costs_no_upload(client, caseworker, case, stored_files):
    client.force_login(caseworker)

    response = post_document(client, case, text_bytes("no fact"), fact="rumour")

    assert response.status_code == 200
    assert "fact" in response.context["form"].errors
    assert not Source.objects.exists()
    assert stored_files() == []


def test_a_link_that_exists_already_is_refused_and_nothing_is_added(
    client, caseworker, case, trail
):
    content = text_bytes("linked before")
    source = receive(content, actor=caseworker)
    make_evidence(source, case, actor=caseworker, fact="deportation", page="2")
    custody_before = CustodyEvent.objects.count()
    client.force_login(caseworker)
    mark = trail().count()

    response = post_document(client, case, content)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Evidence.objects.count() == 1
    assert CustodyEvent.objects.count() == custody_before  # "received again" rolled back
    assert trail().count() == mark


def test_a_new_file_whose_link_fails_leaves_no_stored_file(
    case, caseworker, stored_files, monkeypatch
):
    from sources.exceptions import EvidenceExists
    from sources.services import attach

    def refuse(**kwargs: Any) -> Any:
        raise EvidenceExists()

    monkeypatch.setattr(attach, "evidence_link", refuse)

    with pytest.raises(EvidenceExists):
        services.evidence_attach(
            case=case,
            actor=caseworker,
            fileobj=SimpleUploadedFile("a.txt", text_bytes("rolled back")),
            filename="a.txt",
            fact="identity",
        )

    assert not Source.objects.exists()
    assert stored_files() == []


def test_attaching_is_not_found_out_of_sight_and_refused_to_readers(client, user, case):
    elsewhere = make_member("supervisor", OrganizationFactory.create())
    partner = OrganizationFactory.create()
    case_services.case_share_create(
        case=case,
        actor=user,
        organization=partner,
        scope="full",
        reason="Synthetic",
        consent_reference="SYN-3",
    )
    reader = make_member("caseworker", partner)

    client.force_login(elsewhere)
    assert client.get(attach_url(case)).status_code == 404
    client.force_login(reader)
    assert client.get(attach_url(case)).status_code == 403
    assert post_document(client, case, text_bytes("reader")).status_code == 403
    assert attach_url(case) not in client.get(change_url(case)).content.decode()
    assert not Source.objects.exists()


@pytest.mark.parametrize("object_id", ["abc", "1.5", "²", "-1"])
def test_attach_page_of_a_malformed_case_id_is_not_found(client, caseworker, object_id):
    client.force_login(caseworker)

    response = client.get(f"/admin/cases/case/{object_id}/attach-document/")

    assert response.status_code == 404


def test_attach_page_refuses_unknown_query_parameters(client, caseworker, case):
    client.force_login(caseworker)

    response = client.get(attach_url(case), {"kind": "photo"})

    assert response.status_code == 400
    assert "kind" in response.content.decode()


def test_attach_page_still_checks_the_csrf_token(caseworker, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)

    response = client.post(
        attach_url(case),
        {"file": SimpleUploadedFile("a.txt", b"x"), "fact": "identity", "kind": "other"},
    )

    assert response.status_code == 403
    assert not Source.objects.exists()


def test_an_oversize_file_is_refused_while_it_streams(caseworker, case, settings):
    settings.SOURCES_MAX_UPLOAD_BYTES = 100
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    token = client.get(attach_url(case)).context["csrf_token"]

    response = client.post(
        attach_url(case),
        {
            "file": SimpleUploadedFile("big.txt", b"x" * 500),
            "fact": "identity",
            "kind": "other",
            "csrfmiddlewaretoken": str(token),
        },
        follow=True,
    )

    assert response.redirect_chain == [(attach_url(case), 302)]
    assert any("100 bytes" in m for m in messages_of(response))
    assert not Source.objects.exists()


def test_unlinked_evidence_stays_in_the_case_history(client, user, case):
    evidence = make_evidence(make_source(actor=user), case, actor=user)
    services.evidence_unlink(evidence=evidence, actor=user)
    client.force_login(user)

    response = client.get(reverse("admin:cases_case_history", args=[case.pk]))

    actions = [
        e.event.action
        for e in response.context["entries"]
        if e.event.object_type == "sources.evidence"
    ]
    assert actions == ["delete", "create"]
    labels = {c.label for e in response.context["entries"] for c in e.changes}
    assert "Fact supported" in labels


def test_a_limited_share_shows_no_documents_section(client, user, case):
    make_evidence(make_source(actor=user), case, actor=user)
    partner = OrganizationFactory.create()
    case_services.case_share_create(
        case=case,
        actor=user,
        organization=partner,
        scope="limited",
        reason="Synthetic",
        consent_reference="SYN-4",
    )
    client.force_login(make_member("caseworker", partner))

    response = client.get(change_url(case))

    assert response.status_code == 200
    assert "documents" not in [s.key for s in response.context["case_sections"]]
    assert response.context["case_summary"].extra == []
