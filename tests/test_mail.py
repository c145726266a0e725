"""``core.mail.mail_send``: the one place that sends e-mail. All addresses are synthetic."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from core.mail import mail_send

ADDRESSES = ["first.admin@example.org", "second.admin@example.org"]
SUBJECT = "Synthetic subject naming Синтетичне Імʼя"


def test_mail_send_sends_one_message_with_an_html_alternative(caplog):
    caplog.set_level(logging.INFO, logger="core.mail")
    sent = mail_send(
        event="synthetic_notice",
        subject=SUBJECT,
        body="Plain words",
        html="<p>Plain words</p>",
        recipients=ADDRESSES,
        from_email="registry@example.org",
        log_fields={"source_id": 7},
    )

    assert sent == 2
    (message,) = mail.outbox
    assert message.to == ADDRESSES
    assert message.subject == SUBJECT
    assert message.body == "Plain words"
    assert message.from_email == "registry@example.org"
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives[0][1] == "text/html"
    assert "synthetic_notice_sent source_id=7 recipients=2" in caplog.text
    for private in (*ADDRESSES, SUBJECT, "Plain words"):
        assert private not in caplog.text


def test_mail_send_plain_text_only_from_the_default_sender(settings):
    settings.DEFAULT_FROM_EMAIL = "default@example.org"
    assert mail_send(event="synthetic", subject="S", body="B", recipients=ADDRESSES[:1]) == 1
    (message,) = mail.outbox
    assert message.from_email == "default@example.org"
    assert getattr(message, "alternatives", []) == []


def test_mail_send_without_recipients_sends_nothing_and_logs_the_event(caplog):
    sent = mail_send(
        event="synthetic_notice", subject=SUBJECT, body="B", recipients=[], log_fields={"id": 3}
    )

    assert sent == 0
    assert mail.outbox == []
    assert "synthetic_notice_no_recipients id=3" in caplog.text
    assert SUBJECT not in caplog.text


def test_mail_send_failure_is_logged_not_raised(monkeypatch, caplog):
    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("synthetic SMTP refusal")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)

    assert mail_send(event="synthetic_notice", subject="S", body="B", recipients=ADDRESSES) == 0
    assert "synthetic_notice_failed error=ConnectionRefusedError" in caplog.text
    for address in ADDRESSES:
        assert address not in caplog.text


@pytest.mark.parametrize("recipients", [(), []])
def test_mail_send_accepts_any_empty_sequence(recipients):
    assert mail_send(event="e", subject="S", body="B", recipients=recipients) == 0
