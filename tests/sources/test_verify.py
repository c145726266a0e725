"""The integrity check: ``verify_evidence`` (command and Celery task) re-hashes stored files; a
single flipped byte or a missing file flags the source, records an integrity-failure custody
event and an audit event, and tells the administrators once per failure."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import Action
from sources import services, tasks
from sources.exceptions import SourceHasNoFile
from sources.models import CustodyAction, CustodyEvent, Integrity, Source
from tests.factories.accounts import UserFactory
from tests.factories.sources import make_source, receive, text_bytes

pytestmark = pytest.mark.django_db

ADMIN_ADDRESS = "registry-admin@example.org"
SUPERUSER_ADDRESS = "superuser@example.org"
TITLE = "Synthetic confidential title"
FILENAME = "Synthetic-Family-Name-statement.txt"


@pytest.fixture
def administrators(settings: Any) -> list[str]:
    settings.ADMINS = [("Registry administrator", ADMIN_ADDRESS)]
    UserFactory.create(username="root", is_superuser=True, email=SUPERUSER_ADDRESS)
    UserFactory.create(username="retired-root", is_superuser=True, is_active=False)
    return [ADMIN_ADDRESS, SUPERUSER_ADDRESS]


@pytest.fixture
def source(user: Any, home: Any) -> Source:
    return receive(
        text_bytes("integrity"), filename=FILENAME, actor=user, organization=home, title=TITLE
    )


def flip_a_byte(path: Path, at: int = 10) -> str:
    content = bytearray(path.read_bytes())
    content[at] ^= 0x01
    path.write_bytes(bytes(content))
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def verify(django_capture_on_commit_callbacks: Any) -> Callable[..., tuple[int, str, str]]:
    """``verify(*args)``: run the command as if each of its transactions committed (notices are
    sent on commit); ``(exit status, stdout, stderr)``."""

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            try:
                call_command("verify_evidence", *args, stdout=out, stderr=err)
            except CommandError as exc:
                return exc.returncode, out.getvalue(), str(exc)
        return 0, out.getvalue(), err.getvalue()

    return run


def failures(source: Source) -> list[CustodyEvent]:
    return list(
        CustodyEvent.objects.filter(source=source, action=CustodyAction.INTEGRITY_FAILURE).order_by(
            "id"
        )
    )


def test_verify_evidence_passes_unaltered_files(source, trail, verify):
    status, out, _err = verify("--no-progress")

    assert status == 0
    assert "1 unaltered, 0 altered, 0 missing" in out
    source.refresh_from_db()
    assert source.integrity == Integrity.OK
    assert source.integrity_checked_at is not None
    verified = CustodyEvent.objects.get(source=source, action=CustodyAction.VERIFIED)
    assert verified.sha256_seen == source.sha256
    assert verified.actor is None
    # The first check changes the state (unverified → ok): one audit event, then no more.
    assert trail().filter(action=Action.UPDATE).count() == 1
    verify("--no-progress")
    assert trail().filter(action=Action.UPDATE).count() == 1
    assert CustodyEvent.objects.filter(source=source, action=CustodyAction.VERIFIED).count() == 2


def test_verify_evidence_command_detects_a_single_flipped_byte(
    source, administrators, stored_path, trail, verify
):
    seen = flip_a_byte(stored_path(source))

    status, out, err = verify("--no-progress")

    assert status == 1
    assert f"source #{source.pk}: altered" in out
    assert "1 altered" in err
    source.refresh_from_db()
    assert source.integrity == Integrity.ALTERED
    (failure,) = failures(source)
    assert failure.sha256_seen == seen != source.sha256
    event = trail().get(action=Action.UPDATE)
    assert event.object_id == str(source.pk)
    assert event.changes == {"integrity": [Integrity.UNVERIFIED, Integrity.ALTERED]}
    assert event.metadata["expected_sha256"] == source.sha256
    assert event.metadata["seen_sha256"] == seen
    assert event.metadata["administrators_notified"] is True
    (message,) = mail.outbox
    assert sorted(message.to) == sorted(administrators)
    assert f"#{source.pk}" in message.subject
    assert source.sha256 in message.body
    assert seen in message.body
    for secret in (TITLE, FILENAME, "integrity\n"):
        assert secret not in f"{message.subject}\n{message.body}"


def test_verify_evidence_task_detects_a_single_flipped_byte(
    source, administrators, stored_path, django_capture_on_commit_callbacks
):
    seen = flip_a_byte(stored_path(source), at=0)

    with django_capture_on_commit_callbacks(execute=True):
        counts = tasks.verify_evidence.delay().get()

    assert counts == {"checked": 1, "ok": 0, "altered": 1, "missing": 0}
    source.refresh_from_db()
    assert source.integrity == Integrity.ALTERED
    assert failures(source)[0].sha256_seen == seen
    assert len(mail.outbox) == 1


def test_verify_evidence_flags_a_missing_file(source, administrators, stored_path, trail, verify):
    stored_path(source).unlink()

    status, out, _err = verify("--no-progress")

    assert status == 1
    assert f"source #{source.pk}: missing" in out
    source.refresh_from_db()
    assert source.integrity == Integrity.MISSING
    (failure,) = failures(source)
    assert failure.sha256_seen == ""
    assert "missing" in failure.note
    assert trail().get(action=Action.UPDATE).metadata["seen_sha256"] == ""
    (message,) = mail.outbox
    assert "(no file)" in message.body


def test_verify_evidence_tells_the_administrators_once_per_failure(
    source, administrators, stored_path, verify
):
    path = stored_path(source)
    original = path.read_bytes()
    flip_a_byte(path)
    for _ in range(3):
        assert verify("--no-progress")[0] == 1
    # Still broken the same way: recorded at every run, told once.
    assert len(failures(source)) == 3
    assert len(mail.outbox) == 1

    flip_a_byte(path, at=20)  # altered differently: a new failure
    verify("--no-progress")
    assert len(mail.outbox) == 2

    path.write_bytes(original)  # restored from a trusted copy
    assert verify("--no-progress")[0] == 0
    source.refresh_from_db()
    assert source.integrity == Integrity.OK

    flip_a_byte(path)  # the same alteration as the first, after a good check: told again
    verify("--no-progress")
    assert len(mail.outbox) == 3

    path.unlink()
    verify("--no-progress")
    verify("--no-progress")
    assert len(mail.outbox) == 4


def test_verify_evidence_checks_only_the_sources_named(user, home, stored_path, verify):
    first = receive(text_bytes("first"), actor=user, organization=home)
    second = receive(text_bytes("second"), actor=user, organization=home)
    flip_a_byte(stored_path(second))

    status, out, _err = verify("--no-progress", "--source", str(first.pk))

    assert status == 0
    assert "Checked 1 file(s)" in out
    second.refresh_from_db()
    assert second.integrity == Integrity.UNVERIFIED
    assert verify("--no-progress", "--source", str(first.pk), str(second.pk))[0] == 1


def test_verify_evidence_refuses_unknown_sources(user, verify):
    without_file = make_source(actor=user)
    status, _out, message = verify("--source", str(without_file.pk), "999999")
    assert status == 1
    assert f"{without_file.pk}, 999999" in message


def test_verify_evidence_shows_a_progress_bar(source, verify):
    _status, _out, err = verify()
    assert "1/1" in err


def test_source_verify_of_a_source_without_a_file(user):
    with pytest.raises(SourceHasNoFile):
        services.source_verify(source=make_source(actor=user))


def test_integrity_notices_go_nowhere_without_administrators(
    source, stored_path, caplog, django_capture_on_commit_callbacks
):
    flip_a_byte(stored_path(source))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.source_verify(source=source) == Integrity.ALTERED
    assert mail.outbox == []
    assert "source_integrity_notice_no_recipients" in caplog.text


def test_verify_evidence_task_name_is_pinned_and_scheduled_daily():
    assert tasks.verify_evidence.name == "sources.verify_evidence"
    assert "sources.verify_evidence" in current_app.tasks
    entry: dict[str, Any] = next(
        e
        for e in django_settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "sources.verify_evidence"
    )
    assert entry["schedule"] == 24 * 3600


def test_sources_verify_counts_every_state(user, home, stored_path):
    ok = receive(text_bytes("ok"), actor=user, organization=home)
    altered = receive(text_bytes("altered"), actor=user, organization=home)
    missing = receive(text_bytes("missing"), actor=user, organization=home)
    make_source(actor=user)  # no file: not checked
    flip_a_byte(stored_path(altered))
    stored_path(missing).unlink()

    report = services.sources_verify()

    assert (report.ok, report.altered, report.missing) == ([ok.pk], [altered.pk], [missing.pk])
    assert report.counts() == {"checked": 3, "ok": 1, "altered": 1, "missing": 1}
    assert report.failed == 2


@pytest.mark.django_db(transaction=True)
def test_a_notice_that_cannot_be_sent_does_not_stop_the_check(
    user, home, stored_path, administrators, monkeypatch
):
    """Each failure's notice goes after its check commits; one that cannot be sent (Django
    refuses a malformed address with ValueError) is logged, and the next files are checked."""
    first = receive(text_bytes("first"), actor=user, organization=home)
    second = receive(text_bytes("second"), actor=user, organization=home)
    flip_a_byte(stored_path(first))
    flip_a_byte(stored_path(second))

    def refuse(**kwargs: Any) -> int:
        raise ValueError("Invalid address")

    monkeypatch.setattr("sources.services.integrity.mail_send", refuse)
    report = services.sources_verify()

    assert sorted(report.altered) == sorted([first.pk, second.pk])
    for source in (first, second):
        source.refresh_from_db()
        assert source.integrity == Integrity.ALTERED
