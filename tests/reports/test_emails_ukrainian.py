"""The e-mails in Ukrainian: the summaries of each topic and the daily digest, their subjects,
both parts, the reminder sentences with their plural forms, the unsubscribe page and the
commands' output; and the committed catalog: the compiled ``django.mo`` says what the
``django.po`` says (a ``.po`` edited without recompiling fails here), and every translation
keeps the placeholders of its message. All data is synthetic."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from cases.workflow import Status
from reports.emails import summary_subject
from reports.models import OutboundEmail, Reminder, ReminderRule, ReportPeriod
from reports.selectors.reminders import reminder_text
from reports.services.outbox import digests_queue, outbox_send, summaries_queue
from reports.services.subscriptions import subscription_set
from reports.unsubscribe import unsubscribe_token
from sources.models import Integrity
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case
from tests.reports.email_world import MONDAY, local, make_reminder, make_report

MORNING = local(MONDAY, 8)
ORGANIZATION_NAME = "Synthetic e-mail organization"

# The English the e-mails are written in: none of it may be left in a Ukrainian e-mail.
ENGLISH_SUMMARY = [
    "Weekly summary",
    "Monthly summary",
    "the registry",
    "the coalition",
    "Counts as of",
    "changes within",
    "Cases by phase",
    "All cases",
    "Cases by status",
    "In the period",
    "New cases",
    "Children located",
    "Children returned",
    "Cases reopened",
    "Cases closed in the period",
    "Time to return",
    "Returns",
    "Median",
    "percentile",
    "Follow-ups due",
    "Done on time",
    "Done late",
    "Missed",
    "Still open",
    "Counts from 1 to 4",
    "The figures are attached",
    "Open the report",
    "You receive this e-mail",
    "Unsubscribe",
]
ENGLISH_CASE_LABELS = [
    "Reported",
    "Verifying",
    "Searching",
    "Located",
    "Return in progress",
    "Returned",
    "Rehabilitation",
    "Integration",
    "Closed",
    "Repatriation",
    "Integrated at home",
    "Duplicate of another case",
]
ENGLISH_COALITION = [
    "Pledges by status",
    "Pledges overdue",
    "Pledged",
    "In progress",
    "Delivered",
    "Withdrawn",
    "Children on the coalition",
    "Listed",
    "Acknowledged by the other side",
    "No answer",
    "Meetings",
    "Joint statements",
]
ENGLISH_DIGEST = [
    "Your reminders",
    "open",
    "Open reminders by kind",
    "What needs your attention",
    "Open my work",
    "You receive this daily digest",
    "Unsubscribe",
    "Follow-up",
    "Closure request",
    "waiting for a decision",
    "due on",
]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _parts(message: Any) -> tuple[str, str]:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def _visible_html(html: str) -> str:
    """What a reader sees of the HTML part: no tags (nor the styles inlined in them), no
    entities."""
    return re.sub(r"&[#\w]+;", " ", re.sub(r"<[^>]*>", " ", html))


def _latin_words(text: str, allowed: tuple[str, ...] = ()) -> set[str]:
    """Words in Latin letters left in ``text`` once the links and ``allowed`` are taken out."""
    text = re.sub(r"https?://\S+", " ", text)
    for value in allowed:
        text = text.replace(value, " ")
    return set(re.findall(r"[A-Za-z]{2,}", text))


def _assert_ukrainian(message: Any, english: list[str], allowed: tuple[str, ...] = ()) -> None:
    text, html = _parts(message)
    for part in (message.subject, text, _visible_html(html)):
        for phrase in english:
            assert phrase not in part, phrase
        assert _latin_words(part, allowed) == set(), part


def _send_summary(user: Any, topic: str, org: Any = None) -> Any:
    subscription_set(
        actor=user,
        topic=topic,
        frequency="weekly",
        language="uk",
        organization=org if topic == "organization" else None,
    )
    summaries_queue(today=MONDAY)
    assert outbox_send(now=MORNING).sent == 1
    (message,) = mail.outbox
    return message


@pytest.fixture
def org(db: Any) -> Any:
    return OrganizationFactory.create(name=ORGANIZATION_NAME)


# ---------------------------------------------------------------------------------------------
# The summaries
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_organization_summary_in_ukrainian(org):
    supervisor = make_member("supervisor", org)
    make_report(org)
    message = _send_summary(supervisor, "organization", org)
    text, html = _parts(message)
    assert message.subject == (
        f"Щотижневе зведення: {ORGANIZATION_NAME}, 30 листопада – 6 грудня 2026"
    )
    for part in (text, html):
        for phrase in (
            "Кількість станом на 7 грудня 2026; зміни за період: 30 листопада – 6 грудня 2026.",
            "Справи за етапами",
            "Усього справ",
            "Справи за статусами",
            "Пошук",
            "Місцеперебування встановлено",
            "Реабілітація",
            "Повернення",
            "За період",
            "Нові справи",
            "Повернуто дітей",
            "Справи, закриті за період, за причинами",
            "Інтегровано вдома",
            "Дублікат іншої справи",
            "Час до повернення (днів від відкриття справи)",
            "Кількість повернень",
            "Медіана",
            "90-й процентиль",
            "Контрольні візити, заплановані на період",
            "Проведено вчасно",
            "Пропущено",
            "Цифри додано до листа у файлі CSV.",
            "Відкрити звіт",
            "Ви отримуєте цей лист, бо підписалися на нього в реєстрі.",
            "Відписатися",
        ):
            assert phrase in part, phrase
    assert "Пошук: 20" in text
    assert "Повернуто дітей: 6" in text
    assert "Проведено вчасно: 12" in text
    assert "Медіана: 210,5" in text  # the Ukrainian decimal comma
    assert "Дитина досягла повноліття за кордоном і вирішила залишитися: 0" in text
    _assert_ukrainian(
        message, ENGLISH_SUMMARY + ENGLISH_CASE_LABELS, allowed=(ORGANIZATION_NAME, "CSV")
    )


@pytest.mark.django_db
def test_registry_summary_in_ukrainian_explains_the_hidden_counts(org):
    coordinator = make_member("coordinator", org)
    make_report()
    message = _send_summary(coordinator, "registry")
    text, html = _parts(message)
    assert message.subject == "Щотижневе зведення: реєстр, 30 листопада – 6 грудня 2026"
    assert "Повідомлено: <5" in text
    note = "Кількість від 1 до 4 показано як <5"
    assert note in text
    assert note.replace("<", "&lt;") in html
    for part in (text, html):
        assert "Справи за статусами" in part
        assert "Відписатися" in part
    _assert_ukrainian(message, ENGLISH_SUMMARY + ENGLISH_CASE_LABELS, allowed=("CSV",))


@pytest.mark.django_db
def test_coalition_summary_in_ukrainian(org):
    coordinator = make_member("coordinator", org)
    make_report()
    message = _send_summary(coordinator, "coalition")
    text, html = _parts(message)
    assert message.subject == "Щотижневе зведення: коаліція, 30 листопада – 6 грудня 2026"
    for phrase in (
        "Зобов’язання за статусами",
        "Прострочені зобов’язання: 3",
        "Заявлено: 11",
        "Виконується: 6",
        "Діти зі списків коаліції, за результатом",
        "У списку: 40",
        "Підтверджено іншою стороною: <5",
        "Немає відповіді: 25",
        "Повернуто: <5",
        "Зустрічі та заяви за період",
        "Зустрічі: 4",
        "Спільні заяви: 2",
        "Відписатися",
    ):
        assert phrase in text, phrase
    for phrase in ("Зобов’язання за статусами", "У списку", "Спільні заяви", "Відписатися"):
        assert phrase in html, phrase
    _assert_ukrainian(message, ENGLISH_SUMMARY + ENGLISH_COALITION, allowed=("CSV",))


@pytest.mark.django_db
def test_monthly_summary_subject_in_ukrainian(org):
    from reports.periods import last_complete

    report = make_report(period=last_complete(ReportPeriod.MONTH, MONDAY))
    outbound = OutboundEmail(topic="registry", report=report, language="uk")
    with translation.override("uk"):
        subject = summary_subject(outbound)
    assert subject == "Щомісячне зведення: реєстр, листопад 2026"
    assert _latin_words(subject) == set()


# ---------------------------------------------------------------------------------------------
# The digest
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_digest_in_ukrainian(org, oblasts):
    caseworker = make_member("caseworker", org)
    case = make_case(organization=org)
    subscription_set(actor=caseworker, topic="digest", frequency="daily", language="uk")
    make_reminder(caseworker, case=case)
    make_reminder(caseworker, case=case, rule="closure_waiting", due_on=None)
    digests_queue(now=MORNING)
    assert outbox_send(now=MORNING).sent == 1
    (message,) = mail.outbox
    text, html = _parts(message)
    assert message.subject == "Ваші нагадування на 7 грудня 2026: відкрито 2"
    for part in (text, html):
        for phrase in (
            "Відкриті нагадування за видами",
            "Контрольний візит: настає строк або прострочено",
            "Запит на закриття справи очікує рішення",
            "Що потребує вашої уваги",
            f"Контрольний візит у справі {case.number} — до 9 Гру 2026",
            f"Запит на закриття справи {case.number} очікує рішення з 1 Гру 2026",
            "Відкрити мої завдання",
            "Ви отримуєте цей щоденний дайджест, бо у вас є відкриті нагадування в реєстрі.",
            "Відписатися",
        ):
            assert phrase in part, phrase
    assert "Контрольний візит: настає строк або прострочено: 1" in text
    _assert_ukrainian(message, ENGLISH_DIGEST, allowed=(case.number,))


# ---------------------------------------------------------------------------------------------
# The reminder sentences
# ---------------------------------------------------------------------------------------------
TODAY = dt.date(2026, 12, 7)
CASE_NUMBER = "UA-2026-00042"
# The English words of each sentence (what is left once its values are filled in).
SENTENCES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    (
        ReminderRule.FOLLOW_UP_DUE,
        {"case_number": CASE_NUMBER, "due_on": "2026-12-09"},
        f"Контрольний візит у справі {CASE_NUMBER} — до 9 Гру 2026",
        ["Follow-up", "for", "due", "on"],
    ),
    (
        ReminderRule.FOLLOW_UP_DUE,
        {"case_number": CASE_NUMBER, "due_on": "2026-12-01"},
        f"Контрольний візит у справі {CASE_NUMBER} прострочено з 1 Гру 2026",
        ["Follow-up", "overdue", "since"],
    ),
    (
        ReminderRule.STATUS_TOO_LONG,
        {
            "case_number": CASE_NUMBER,
            "status": Status.SEARCHING,
            "since": "2026-11-07",
            "limit": 20,
        },
        f"Справа {CASE_NUMBER} у статусі «Пошук» уже 30 дн. (граничний строк — 20 дн.)",
        ["has been", "status", "Searching", "days", "limit"],
    ),
    (
        ReminderRule.CLOSURE_WAITING,
        {"case_number": CASE_NUMBER, "requested_on": "2026-12-01"},
        f"Запит на закриття справи {CASE_NUMBER} очікує рішення з 1 Гру 2026",
        ["Closure", "request", "waiting", "decision", "since"],
    ),
    (
        ReminderRule.SHARE_EXPIRING,
        {"case_number": CASE_NUMBER, "shared_with": "СЦО", "expires_on": "2026-12-10"},
        f"Доступ організації СЦО до справи {CASE_NUMBER} спливає 10 Гру 2026",
        ["Share", "with", "expires", "on"],
    ),
    (
        ReminderRule.PLEDGE_OVERDUE,
        {"pledge_id": 7, "member": "Канада", "due_on": "2026-11-01"},
        "Зобов’язання №7 учасника Канада прострочене з 1 Лис 2026",
        ["Pledge", "of", "overdue", "since", "#"],
    ),
    (
        ReminderRule.LIST_NO_ANSWER,
        {"list_id": 3, "waiting": 5, "handed_on": "2026-10-01"},
        "Список №3: 5 записів без відповіді з 1 Жов 2026",
        ["List", "entries", "without", "answer", "since", "#"],
    ),
    (
        ReminderRule.SOURCE_INTEGRITY,
        {"source_id": 11, "integrity": Integrity.ALTERED},
        "Джерело №11 не пройшло перевірку цілісності: "
        "Змінено: вміст більше не відповідає своєму хешу",
        ["Source", "failed", "integrity", "check", "Altered", "#"],
    ),
    (
        ReminderRule.SOURCE_INTEGRITY,
        {"source_id": 12, "integrity": Integrity.MISSING},
        "Джерело №12 не пройшло перевірку цілісності: Відсутнє у сховищі",
        ["Missing", "storage"],
    ),
]


@pytest.mark.parametrize(("rule", "details", "expected", "english"), SENTENCES)
def test_reminder_text_in_ukrainian(rule, details, expected, english):
    reminder = Reminder(rule=rule, details=details)
    with translation.override("uk"):
        text = reminder_text(reminder, today=TODAY)
    assert text == expected
    for word in english:
        assert word not in text, word
    assert _latin_words(text, allowed=(CASE_NUMBER,)) == set()


def test_every_rule_has_a_ukrainian_sentence():
    covered = {rule for rule, *_ in SENTENCES}
    assert covered == set(ReminderRule.values)


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 запис"), (2, "2 записи"), (5, "5 записів"), (11, "11 записів"), (21, "21 запис"),
     (22, "22 записи"), (112, "112 записів")],
)  # fmt: skip
def test_list_reminder_plural_forms(count, words):
    reminder = Reminder(
        rule=ReminderRule.LIST_NO_ANSWER,
        details={"list_id": 3, "waiting": count, "handed_on": "2026-10-01"},
    )
    with translation.override("uk"):
        text = reminder_text(reminder, today=TODAY)
    assert text == f"Список №3: {words} без відповіді з 1 Жов 2026"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "Сформовано 1 звіт."), (2, "Сформовано 2 звіти."), (5, "Сформовано 5 звітів.")],
)
def test_issued_reports_plural_forms(count, expected):
    with translation.override("uk"):
        text = ngettext("Issued %(count)s report.", "Issued %(count)s reports.", count)
    assert text % {"count": count} == expected


# ---------------------------------------------------------------------------------------------
# The unsubscribe page and the commands
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_unsubscribe_page_in_ukrainian(org):
    caseworker = make_member("caseworker", org)
    subscription_set(actor=caseworker, topic="digest", frequency="daily", language="uk")
    token = unsubscribe_token(user_id=caseworker.pk, topic="digest", frequency="daily")
    url = reverse("email-unsubscribe", kwargs={"token": token})
    # The page is in the language of the e-mail it came from, whatever the browser's.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    answer = client.get(url)
    assert answer["Content-Language"] == "uk"
    page = answer.content.decode()
    assert "Більше не отримувати цей лист: Мої нагадування (щоденний дайджест) (Щодня)?" in page
    assert "Відписатися" in page
    done = client.post(url).content.decode()
    assert "Ви відписалися" in done
    assert "Ви більше не отримуватимете: Мої нагадування (щоденний дайджест) (Щодня)." in done
    # A link that names no subscription is answered in the browser's language.
    invalid = Client(HTTP_ACCEPT_LANGUAGE="uk").get(
        reverse("email-unsubscribe", kwargs={"token": "forged"})
    )
    assert invalid.status_code == 400
    assert "Це посилання не працює" in invalid.content.decode()
    for text in map(_visible_html, (page, done, invalid.content.decode())):
        for english in ("Unsubscribe", "Stop receiving", "no longer", "link does not work"):
            assert english not in text


@pytest.mark.django_db
def test_send_emails_output_in_ukrainian():
    out = StringIO()
    with translation.override("uk"):
        call_command("send_emails", stdout=out)
    output = out.getvalue()
    assert "Нагадування: нових — 0, знову відкритих — 0, розв’язаних — 0." in output
    assert "Поставлено в чергу: зведень — 0, дайджестів — 0." in output
    assert "Надіслано: 0; повторна спроба: 0; не вдалося: 0; нічого надсилати: 0." in output
    assert _latin_words(output) == set()


@pytest.mark.django_db
def test_unsubscribe_page_of_an_english_subscription_is_in_english_for_a_ukrainian_browser(org):
    supervisor = make_member("supervisor", org)
    subscription_set(
        actor=supervisor, topic="organization", frequency="weekly", language="en", organization=org
    )
    token = unsubscribe_token(user_id=supervisor.pk, topic="organization", frequency="weekly")
    answer = Client(HTTP_ACCEPT_LANGUAGE="uk").get(
        reverse("email-unsubscribe", kwargs={"token": token})
    )
    assert answer["Content-Language"] == "en"
    assert "Unsubscribe" in answer.content.decode()
    assert "Відписатися" not in answer.content.decode()
