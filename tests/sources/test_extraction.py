"""Text, title, language and publication date read from documents of every imported type.
All documents are synthetic and made on the fly."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from sources.extraction import (
    MAX_TEXT_CHARS,
    ExtractionResult,
    extract_text,
    language_detect,
)
from tests.sources.files import documents

# Invented sentences, one language each, long enough for detection.
UK = (
    "Сьогодні в обласному центрі відбулася зустріч представників громадських організацій, "
    "які допомагають родинам повернути дітей додому. Учасники обговорили, як швидше "
    "обмінюватися інформацією та підтримувати сім'ї після повернення."
)
RU = (
    "Сегодня в областном центре прошла встреча представителей общественных организаций, "
    "которые помогают семьям вернуть детей домой. Участники обсудили, как быстрее "
    "обмениваться информацией и поддерживать семьи после возвращения."
)
EN = (
    "Today representatives of civil society organisations met in the regional centre to "
    "discuss how families can be helped to bring their children home, and how information "
    "can be shared faster between the organisations involved."
)
TR = (
    "Bugün bölge merkezinde, ailelerin çocuklarını eve geri getirmelerine yardımcı olan sivil "
    "toplum kuruluşlarının temsilcileri bir araya geldi. Katılımcılar bilgilerin nasıl daha "
    "hızlı paylaşılabileceğini ve ailelerin nasıl desteklenebileceğini görüştü."
)


def _text(tmp_path: Path, content: str, name: str = "note.txt") -> ExtractionResult:
    return extract_text(documents.write(tmp_path, name, content), "text/plain")


# --- per type ----------------------------------------------------------------------------------


def test_extract_text_plain_title_is_first_line(tmp_path: Path) -> None:
    result = _text(tmp_path, f"\n\n  Meeting of organisations  \n\n{EN}\n")

    assert result.status == "done"
    assert result.error == ""
    assert result.title == "Meeting of organisations"
    assert result.text.startswith("Meeting of organisations\n\nToday representatives")
    assert result.language == "en"


def test_extract_text_markdown_title_is_first_heading(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "note.md", f"# Зустріч організацій\n\n{UK}\n\n## Далі\n")

    result = extract_text(path, "text/markdown")

    assert result.status == "done"
    assert result.title == "Зустріч організацій"
    assert UK[:40] in result.text
    assert result.language == "uk"


def test_extract_text_markdown_front_matter_gives_title_and_date(tmp_path: Path) -> None:
    content = f"---\ntitle: 'Звіт про повернення'\ndate: 2023-05-04\n---\n# Інший заголовок\n{UK}"
    path = documents.write(tmp_path, "report.md", content)

    result = extract_text(path, "text/plain")

    assert result.title == "Звіт про повернення"
    assert result.published_on == date(2023, 5, 4)
    assert "title:" not in result.text


def test_extract_text_html_visible_text_title_and_meta_date(tmp_path: Path) -> None:
    html = f"""<!doctype html>
<html lang="uk"><head>
  <title>Зустріч організацій | Новини регіону</title>
  <meta property="og:title" content="Зустріч організацій">
  <meta property="article:published_time" content="2024-02-20T09:30:00+02:00">
  <style>p {{ color: red; }}</style>
  <script>var hidden = "not text";</script>
</head><body>
  <nav>Головна</nav>
  <h1>Заголовок статті</h1>
  <p>{UK} <b>Важливо</b>.</p>
  <p>Захід відбувся 1 лютого 2024 року.</p>
  <noscript>Увімкніть JavaScript</noscript>
  <!-- a comment -->
</body></html>"""
    path = documents.write(tmp_path, "article.html", html)

    result = extract_text(path, "text/html")

    assert result.status == "done"
    assert result.title == "Зустріч організацій"
    # The metadata's date, not the event's date in the text.
    assert result.published_on == date(2024, 2, 20)
    assert result.language == "uk"
    assert "Заголовок статті" in result.text
    assert "Важливо." in result.text
    for hidden in ("color: red", "not text", "JavaScript", "a comment", "Новини регіону"):
        assert hidden not in result.text
    assert result.warnings == []


def test_extract_text_html_title_falls_back_to_title_tag_then_h1(tmp_path: Path) -> None:
    with_title = documents.write(
        tmp_path, "a.html", "<html><head><title> Official statement </title></head><body>x</body>"
    )
    with_h1 = documents.write(tmp_path, "b.html", "<html><body><h1>Statement</h1>text</body>")

    assert extract_text(with_title, "text/html").title == "Official statement"
    assert extract_text(with_h1, "text/html").title == "Statement"


def test_extract_text_html_date_from_time_element(tmp_path: Path) -> None:
    html = f"<html><body><article><time datetime='2023-06-01'>1 June</time><p>{EN}</p></article>"
    path = documents.write(tmp_path, "news.htm", html)

    assert extract_text(path, "text/html").published_on == date(2023, 6, 1)


def test_extract_text_html_recognised_even_when_typed_as_plain_text(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "page", "<!DOCTYPE html><html><body><p>Body</p></body>")

    result = extract_text(path, "text/plain")

    assert result.text == "Body"


def test_extract_text_pdf_title_from_metadata(tmp_path: Path) -> None:
    content = documents.pdf_bytes(
        [["Annual review", "Published on 3 March 2023", EN[:80]], ["Second page (end)."]],
        title="Review of returns 2023",
    )
    path = documents.write(tmp_path, "review.pdf", content)

    result = extract_text(path, "application/pdf")

    assert result.status == "done"
    assert result.title == "Review of returns 2023"
    assert result.published_on == date(2023, 3, 3)
    assert "Annual review" in result.text
    assert "Second page (end)." in result.text
    assert result.language == "en"


def test_extract_text_pdf_without_metadata_title_uses_first_line(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "x.pdf", documents.pdf_bytes([["Statement on returns"]]))

    assert extract_text(path, "application/pdf").title == "Statement on returns"


def test_extract_text_pdf_producer_label_is_not_a_title(tmp_path: Path) -> None:
    content = documents.pdf_bytes([["Real heading"]], title="Microsoft Word - draft3.docx")
    path = documents.write(tmp_path, "x.pdf", content)

    assert extract_text(path, "application/pdf").title == "Real heading"


def test_extract_text_docx_paragraphs_tables_and_core_title(tmp_path: Path) -> None:
    content = documents.docx_bytes(
        title="Звіт громадської організації",
        heading="Підсумки року",
        paragraphs=(UK,),
        table=(("Область", "Повернуто"), ("Херсонська", "12"), ("Харківська", "7")),
    )
    path = documents.write(tmp_path, "report.docx", content)

    result = extract_text(path, documents.DOCX_TYPE)

    assert result.status == "done"
    assert result.title == "Звіт громадської організації"
    assert result.text.splitlines()[0] == "Підсумки року"
    assert "Область | Повернуто\nХерсонська | 12\nХарківська | 7" in result.text
    assert result.language == "uk"


def test_extract_text_docx_without_core_title_uses_heading(tmp_path: Path) -> None:
    content = documents.docx_bytes(heading="Підсумки року", paragraphs=(UK,))
    path = documents.write(tmp_path, "report.docx", content)

    assert extract_text(path, documents.DOCX_TYPE).title == "Підсумки року"


def test_extract_text_type_without_text_is_none(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "photo.jpg", b"\xff\xd8\xff\xe0" + bytes(64))

    result = extract_text(path, "image/jpeg")

    assert (result.status, result.text, result.error) == ("none", "", "")


# --- bad input ---------------------------------------------------------------------------------


def test_extract_text_corrupt_pdf_fails_without_raising(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "broken.pdf", documents.corrupt_pdf_bytes())

    result = extract_text(path, "application/pdf")

    assert result.status == "failed"
    assert result.error.startswith("not a readable PDF")
    assert len(result.error) <= 200
    assert result.text == ""


def test_extract_text_corrupt_docx_fails_without_raising(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "broken.docx", documents.corrupt_docx_bytes())

    result = extract_text(path, documents.DOCX_TYPE)

    assert result.status == "failed"
    assert result.error


def test_extract_text_zip_that_is_no_docx_fails(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "fake.docx", b"PK\x03\x04" + bytes(100))

    result = extract_text(path, documents.DOCX_TYPE)

    assert result.status == "failed"
    assert result.error.startswith("not a readable DOCX")
    # The error is stored and shown: it names no path (a file name can carry a child's name).
    assert str(tmp_path) not in result.error
    assert "fake" not in result.error


def test_extract_text_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sources.extraction.MAX_TEXT_CHARS", 1_000)
    result = _text(tmp_path, "Long line of words\n" * 200)

    assert len(result.text) == 1_000
    assert any("cut" in warning for warning in result.warnings)
    assert MAX_TEXT_CHARS == 2_000_000


def test_extract_text_windows_1251_is_read_with_a_warning(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "old.txt", UK.encode("cp1251"))

    result = extract_text(path, "text/plain")

    assert result.text == UK
    assert result.language == "uk"
    assert any("Windows-1251" in warning for warning in result.warnings)


def test_extract_text_strips_nul_characters(tmp_path: Path) -> None:
    result = _text(tmp_path, "Title\x00 line\n")

    assert result.text == "Title line"


def test_extract_text_strips_nul_characters_from_a_metadata_title(tmp_path: Path) -> None:
    content = documents.pdf_bytes([["Body"]], title="Review\x00 of returns\x00")
    path = documents.write(tmp_path, "review.pdf", content)

    assert extract_text(path, "application/pdf").title == "Review of returns"


def test_extract_text_empty_document_warns(tmp_path: Path) -> None:
    result = _text(tmp_path, "  \n\n ")

    assert result.status == "done"
    assert (result.title, result.language, result.published_on) == ("", "", None)
    assert any("no text" in warning for warning in result.warnings)


# --- language ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sample", "language"), [(UK, "uk"), (RU, "ru"), (EN, "en"), (TR, "tr")])
def test_language_detect_sources_languages(sample: str, language: str) -> None:
    assert language_detect(sample) == language


def test_language_detect_is_repeatable() -> None:
    mixed = UK[:60] + " " + RU[:60]

    assert len({language_detect(mixed) for _ in range(5)}) == 1


@pytest.mark.parametrize("sample", ["", "12345 67 89", "Так.", "OK, 2024"])
def test_language_detect_too_few_letters_is_unknown(sample: str) -> None:
    assert language_detect(sample) == ""


def test_extract_text_html_lang_used_when_text_too_short(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "a.html", '<html lang="tr-TR"><body><p>Kısa.</p></body>')

    assert extract_text(path, "text/html").language == "tr"


# --- publication date --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Звіт\nОпубліковано 15 березня 2024\n{UK}", date(2024, 3, 15)),
        (f"Звіт\nОпубліковано: 15 березня 2024 року о 10:00\n{UK}", date(2024, 3, 15)),
        (f"Report\nPublished on 3 March 2023\n{EN}", date(2023, 3, 3)),
        (f"Report\n{EN}\nPublished: June 1, 2023", date(2023, 6, 1)),
        (f"Отчёт\nОпубликовано 3 апреля 2023 г.\n{RU}", date(2023, 4, 3)),
        (f"Rapor\nYayınlanma tarihi: 12 Mart 2024\n{TR}", date(2024, 3, 12)),
        (f"Звіт\nДата публікації: 07.11.2022\n{UK}", date(2022, 11, 7)),
        # No marker: the first full date at the top of the document.
        (f"Київ, 7 листопада 2022 року\n{UK}", date(2022, 11, 7)),
        (f"Ankara, 5 Ocak 2023\n{TR}", date(2023, 1, 5)),
    ],
)
def test_extract_text_finds_publication_date(tmp_path: Path, text: str, expected: date) -> None:
    result = _text(tmp_path, text)

    assert result.published_on == expected
    assert result.warnings == []


def test_extract_text_marker_beats_an_earlier_event_date(tmp_path: Path) -> None:
    text = f"Зустріч 1 лютого 2024 року\n{UK}\nОпубліковано 3 лютого 2024"

    assert _text(tmp_path, text).published_on == date(2024, 2, 3)


def test_extract_text_marker_mid_sentence_is_no_marker(tmp_path: Path) -> None:
    text = f"Kyiv, 2 May 2023\nThe report published by the ministry on 9 May 2023 says {EN}"

    assert _text(tmp_path, text).published_on == date(2023, 5, 2)


def test_extract_text_no_date_is_empty_without_warning(tmp_path: Path) -> None:
    result = _text(tmp_path, f"Report\n{EN}\nIn 2023, 1 200 children were counted.")

    assert result.published_on is None
    assert result.warnings == []


@pytest.mark.parametrize(
    "text",
    [
        f"Звіт\nОпубліковано: невідомо коли\n{UK}",
        f"Report\nPublished: 45 Smarch 20x4\n{EN}",
    ],
)
def test_extract_text_unreadable_date_is_empty_with_warning(tmp_path: Path, text: str) -> None:
    result = _text(tmp_path, text)

    assert result.status == "done"
    assert result.published_on is None
    assert len(result.warnings) == 1
    assert "could not be read" in result.warnings[0]


def test_extract_text_future_date_is_refused(tmp_path: Path) -> None:
    future = timezone.localdate() + timedelta(days=400)
    text = f"Report\nPublished on {future.day} {future:%B} {future.year}\n{EN}"

    result = _text(tmp_path, text)

    assert result.published_on is None
    assert len(result.warnings) == 1
    assert "in the future" in result.warnings[0]


def test_extract_text_date_before_1990_is_refused(tmp_path: Path) -> None:
    result = _text(tmp_path, f"Report\nPublished on 1 January 1985\n{EN}")

    assert result.published_on is None
    assert "before 1990" in result.warnings[0]


def test_extract_text_implausible_top_date_skipped_for_a_plausible_one(tmp_path: Path) -> None:
    text = f"Founded 1 January 1985\nKyiv, 4 April 2024\n{EN}"

    result = _text(tmp_path, text)

    assert result.published_on == date(2024, 4, 4)
    assert result.warnings == []


def test_extract_text_unreadable_meta_date_falls_back_to_text(tmp_path: Path) -> None:
    html = (
        '<html><head><meta name="date" content="soon"></head>'
        f"<body><p>Опубліковано 15 березня 2024</p><p>{UK}</p></body></html>"
    )
    path = documents.write(tmp_path, "a.html", html)

    result = extract_text(path, "text/html")

    assert result.published_on == date(2024, 3, 15)


def test_extract_text_markdown_heading_after_a_badge_line(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "x.md", f"![logo](logo.png)\n\n## Звіт за рік ##\n\n{UK}")

    assert extract_text(path, "text/plain").title == "Звіт за рік"


def test_extract_text_date_search_crash_keeps_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr("dateparser.search.search_dates", crash)

    result = _text(tmp_path, f"Report\nPublished on 3 March 2023\n{EN}")

    assert (result.status, result.published_on) == ("done", None)
    assert result.text.startswith("Report")
    assert result.warnings == ["the publication date could not be looked for (RecursionError)"]
