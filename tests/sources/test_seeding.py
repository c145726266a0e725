"""Seeds of public reporting: every figure of the domain's table is recorded as claimed, with a
structured source; loading is idempotent, a row changed in the seed file is corrected rather
than duplicated, and conflicting figures stand side by side."""

from __future__ import annotations

import copy
import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from audit.models import Action, AuditEvent, Channel
from core.seeds import read_seed
from sources import seeding
from sources.figures import figure_record, figures_over_time, registry_counts_by_status
from sources.models import PUBLIC_KINDS, PublishedFigure, Source

pytestmark = pytest.mark.django_db

# The structured sources of public reporting in the seed file (parts of the registry add theirs).
SOURCE_ROWS = len(read_seed("sources.json")["sources"])

SOURCE_TYPE = "sources.source"
FIGURE_TYPE = "sources.publishedfigure"
# Every row of sources.json: the figures' sources and the other public documents (the
# coalition's seeds cite some of them).
SOURCE_ROWS = len(read_seed("sources.json")["sources"])

# The figures table of the domain digest, as the registry records it: claimant, metric, value,
# the claim's words, qualifier, as of, precision, date as claimed, what was counted.
DOMAIN_FIGURES = [
    (
        "Government of Ukraine",
        "deported",
        19400,
        "",
        "at_least",
        dt.date(2023, 3, 1),
        "season",
        "spring 2023",
        "children deported or taken to occupied territory",
    ),
    (
        "Government of Ukraine",
        "returned",
        360,
        "",
        "more_than",
        dt.date(2023, 3, 1),
        "season",
        "spring 2023",
        "children recovered by Ukrainian authorities (official figures)",
    ),
    (
        "Government of Ukraine",
        "deported",
        16000,
        "",
        "nearly",
        dt.date(2023, 4, 28),
        "day",
        "2023-04-28",
        "children abducted by Russia since February 2022",
    ),
    (
        "Russian state (as quoted by the President of Ukraine)",
        "deported",
        None,
        "hundreds of thousands",
        "stated",
        dt.date(2023, 12, 8),
        "day",
        "2023-12-08",
        "Ukrainian children it has taken",
    ),
    (
        "Russian delegation at talks in Istanbul",
        "deported",
        None,
        "a few hundred",
        "at_most",
        dt.date(2025, 6, 2),
        "day",
        "2025-06-02",
        "children taken",
    ),
    (
        "Ukrainian delegation at talks in Istanbul",
        "deported",
        20000,
        "",
        "stated",
        dt.date(2025, 6, 2),
        "day",
        "2025-06-02",
        "children taken",
    ),
    (
        "Ministry of Foreign Affairs of Ukraine",
        "deported",
        20000,
        "",
        "more_than",
        dt.date(2025, 7, 1),
        "half_year",
        "late 2025",
        "children forcibly taken since February 2022",
    ),
    (
        "Ministry of Foreign Affairs of Ukraine",
        "returned",
        1850,
        "",
        "stated",
        dt.date(2025, 7, 1),
        "half_year",
        "late 2025",
        "children brought back",
    ),
]
FIGURE_COLUMNS = (
    "claimant",
    "metric",
    "value",
    "value_text",
    "qualifier",
    "as_of",
    "as_of_precision",
    "as_of_label",
    "description",
)


def _figures() -> list[tuple[Any, ...]]:
    return list(PublishedFigure.objects.order_by("as_of", "id").values_list(*FIGURE_COLUMNS))


def _events(object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type).order_by("id"))


@pytest.fixture
def seeds(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The seed files as the loader reads them, editable in a test (an upstream change)."""
    files = {name: copy.deepcopy(read_seed(name)) for name in ("sources.json", "figures.json")}
    monkeypatch.setattr(seeding, "read_seed", lambda name: copy.deepcopy(files[name]))
    return files


def _load_seeds() -> str:
    out = StringIO()
    call_command("load_seeds", stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# What is loaded
# ---------------------------------------------------------------------------------------------
def test_public_reporting_load_records_every_figure_of_the_domain_table() -> None:
    counts = seeding.public_reporting_load()

    assert (counts.figures.created, counts.figures.updated, counts.figures.unchanged) == (8, 0, 0)
    assert _figures() == DOMAIN_FIGURES


def test_public_reporting_load_gives_each_figure_its_own_structured_source() -> None:
    seeding.public_reporting_load()

    figures = list(PublishedFigure.objects.select_related("source").order_by("as_of", "id"))
    assert len({f.source_id for f in figures}) == len(figures) == 8
    for figure in figures:
        source = figure.source
        assert source is not None
        assert source.kind == "official_statement"
        assert source.is_public  # public reporting: every signed-in user may read it
        assert source.publisher
        assert source.title
        assert source.language in ("uk", "ru")
        assert (source.url, source.file.name, source.sha256) == ("", "", "")
        assert source.organization is None
        assert source.is_synthetic is False  # reference data, not made up
        assert figure.note == seeding.REFERENCE_NOTE
        assert figure.created_by is None
    by_claimant = {(f.claimant, f.metric): f.source for f in figures}
    istanbul = by_claimant["Russian delegation at talks in Istanbul", "deported"]
    assert istanbul is not None
    assert (istanbul.publisher, istanbul.language, istanbul.published_on) == (
        "Russian delegation at talks in Istanbul",
        "ru",
        dt.date(2025, 6, 2),
    )
    quoted = by_claimant["Russian state (as quoted by the President of Ukraine)", "deported"]
    assert quoted is not None
    assert (quoted.publisher, quoted.published_on) == ("President of Ukraine", dt.date(2023, 12, 8))
    # A source dated only vaguely ("spring 2023") has no day: the title says the period.
    spring = by_claimant["Government of Ukraine", "returned"]
    assert spring is not None
    assert spring.published_on is None
    assert "(spring 2023)" in spring.title


def test_public_reporting_load_records_the_other_dated_public_documents() -> None:
    counts = seeding.public_reporting_load()

    assert (counts.sources.created, counts.sources.updated, counts.sources.unchanged) == (
        SOURCE_ROWS,
        0,
        0,
    )
    documents = {s.publisher: s for s in Source.objects.filter(figures__isnull=True).order_by("id")}
    assert set(documents) == {
        "International Criminal Court",
        "International Coalition for the Return of Ukrainian Children",
        "Government of Ukraine",
        "United Nations General Assembly",
    }
    assert documents["United Nations General Assembly"].kind == "un_document"
    assert "91 in favour, 12 against, 57 abstentions" in (
        documents["United Nations General Assembly"].title
    )
    assert all(s.kind in PUBLIC_KINDS and s.url == "" for s in documents.values())


def test_public_reporting_load_keeps_claims_without_a_number_in_their_words() -> None:
    seeding.public_reporting_load()

    worded = PublishedFigure.objects.filter(value__isnull=True).order_by("as_of")
    assert [(f.claimant, f.value_text, f.qualifier) for f in worded] == [
        (
            "Russian state (as quoted by the President of Ukraine)",
            "hundreds of thousands",
            "stated",
        ),
        ("Russian delegation at talks in Istanbul", "a few hundred", "at_most"),
    ]


def test_public_reporting_load_keeps_conflicting_figures_side_by_side() -> None:
    seeding.public_reporting_load()

    istanbul = PublishedFigure.objects.filter(metric="deported", as_of=dt.date(2025, 6, 2))
    assert sorted((f.claimant, f.value, f.value_text, f.qualifier) for f in istanbul) == [
        ("Russian delegation at talks in Istanbul", None, "a few hundred", "at_most"),
        ("Ukrainian delegation at talks in Istanbul", 20000, "", "stated"),
    ]


def test_public_reporting_load_leaves_a_recorded_conflicting_figure_alone(user: Any) -> None:
    # A caseworker recorded another figure for the same claimant, metric and date, before
    # the seeds were ever loaded: it is another claim, not the seed's row.
    other = figure_record(
        actor=user,
        data={
            "metric": "deported",
            "description": "children taken (synthetic test claim)",
            "value": 19999,
            "qualifier": "stated",
            "as_of": dt.date(2025, 6, 2),
            "claimant": "Ukrainian delegation at talks in Istanbul",
        },
    )

    first = seeding.public_reporting_load()
    second = seeding.public_reporting_load()

    assert (first.figures.created, second.figures.unchanged) == (8, 8)
    other.refresh_from_db()
    assert (other.value, other.description, other.source) == (
        19999,
        "children taken (synthetic test claim)",
        None,
    )
    assert PublishedFigure.objects.count() == 9


# ---------------------------------------------------------------------------------------------
# Idempotency and corrections
# ---------------------------------------------------------------------------------------------
def test_public_reporting_load_second_run_changes_nothing() -> None:
    seeding.public_reporting_load()
    figures = list(PublishedFigure.objects.order_by("pk").values())
    sources = list(Source.objects.order_by("pk").values())
    events = AuditEvent.objects.count()

    counts = seeding.public_reporting_load()

    assert str(counts.sources) == f"0 created, 0 updated, {SOURCE_ROWS} unchanged"
    assert str(counts.figures) == "0 created, 0 updated, 8 unchanged"
    assert list(PublishedFigure.objects.order_by("pk").values()) == figures
    assert list(Source.objects.order_by("pk").values()) == sources
    assert AuditEvent.objects.count() == events


def test_public_reporting_load_corrects_a_figure_changed_upstream(seeds: dict[str, Any]) -> None:
    seeding.public_reporting_load()
    row = seeds["figures.json"]["figures"][0]
    original = PublishedFigure.objects.get(
        claimant=row["claimant"], metric=row["metric"], as_of=row["as_of"]
    )
    row["value"] = 19546
    row["description"] = "children deported or forcibly displaced"

    counts = seeding.public_reporting_load()

    assert (counts.figures.created, counts.figures.updated, counts.figures.unchanged) == (0, 1, 7)
    assert PublishedFigure.objects.count() == 8
    corrected = PublishedFigure.objects.get(pk=original.pk)
    assert (corrected.value, corrected.description) == (
        19546,
        "children deported or forcibly displaced",
    )
    updates = [e for e in _events(FIGURE_TYPE) if e.action == Action.UPDATE]
    assert len(updates) == 1
    assert updates[0].object_id == str(original.pk)
    assert updates[0].changes["value"] == [19400, 19546]


def test_public_reporting_load_corrects_a_source_changed_upstream(seeds: dict[str, Any]) -> None:
    seeding.public_reporting_load()
    row = seeds["sources.json"]["sources"][0]
    row["published_on"] = "2023-05-02"
    row["kind"] = "news_article"

    counts = seeding.public_reporting_load()

    assert (counts.sources.created, counts.sources.updated, counts.sources.unchanged) == (
        0,
        1,
        SOURCE_ROWS - 1,
    )
    assert Source.objects.count() == SOURCE_ROWS
    source = Source.objects.get(publisher=row["publisher"], title=row["title"])
    assert (source.kind, source.published_on) == ("news_article", dt.date(2023, 5, 2))
    assert PublishedFigure.objects.filter(source=source).count() == 1


def test_public_reporting_load_restores_a_seed_row_edited_in_the_registry() -> None:
    seeding.public_reporting_load()
    PublishedFigure.objects.filter(claimant="Ministry of Foreign Affairs of Ukraine").update(
        qualifier="at_least"
    )

    counts = seeding.public_reporting_load()

    assert counts.figures.updated == 2
    assert set(
        PublishedFigure.objects.filter(
            claimant="Ministry of Foreign Affairs of Ukraine"
        ).values_list("metric", "qualifier")
    ) == {("deported", "more_than"), ("returned", "stated")}


def test_public_reporting_load_adds_a_new_upstream_figure_beside_the_others(
    seeds: dict[str, Any],
) -> None:
    seeding.public_reporting_load()
    added = {**seeds["figures.json"]["figures"][-1], "value": 1900, "as_of": "2025-01-01"}
    added["as_of_label"] = "early 2025"
    seeds["figures.json"]["figures"].append(added)

    counts = seeding.public_reporting_load()

    assert (counts.figures.created, counts.figures.unchanged) == (1, 8)
    assert PublishedFigure.objects.filter(metric="returned").count() == 3


@pytest.mark.parametrize(
    ("seed", "change"),
    [
        (
            "sources.json",
            lambda files: files["sources.json"]["sources"].append(
                {**files["sources.json"]["sources"][0], "key": "another-key"}
            ),
        ),
        (
            "sources.json",
            lambda files: files["sources.json"]["sources"].append(
                {**files["sources.json"]["sources"][1], "title": "A different title"}
            ),
        ),
        (
            "figures.json",
            lambda files: files["figures.json"]["figures"].append(
                dict(files["figures.json"]["figures"][0])
            ),
        ),
        (
            "figures.json",
            lambda files: files["figures.json"]["figures"][0].update(source="no-such-source"),
        ),
    ],
)
def test_public_reporting_load_refuses_a_seed_file_that_contradicts_itself(
    seeds: dict[str, Any], seed: str, change: Any
) -> None:
    change(seeds)

    with pytest.raises(seeding.SeedFileError, match=seed):
        seeding.public_reporting_load()

    assert not Source.objects.exists()
    assert not PublishedFigure.objects.exists()


# ---------------------------------------------------------------------------------------------
# Audit and the command
# ---------------------------------------------------------------------------------------------
def test_load_seeds_records_one_audit_event_per_row_then_none() -> None:
    first = _load_seeds()

    assert f"Sources: {SOURCE_ROWS} created, 0 updated, 0 unchanged." in first
    assert "Published figures: 8 created, 0 updated, 0 unchanged." in first
    for object_type, count in ((SOURCE_TYPE, SOURCE_ROWS), (FIGURE_TYPE, 8)):
        events = _events(object_type)
        assert len(events) == count
        assert {e.action for e in events} == {Action.CREATE}
        assert {e.channel for e in events} == {Channel.COMMAND}
        assert {e.actor_id for e in events} == {None}
    recorded = AuditEvent.objects.count()

    second = _load_seeds()

    assert f"Sources: 0 created, 0 updated, {SOURCE_ROWS} unchanged." in second
    assert "Published figures: 0 created, 0 updated, 8 unchanged." in second
    assert AuditEvent.objects.count() == recorded


def test_seeded_figures_read_over_time_beside_the_registrys_own_counts() -> None:
    seeding.public_reporting_load()

    deported = figures_over_time(metric="deported")
    returned = figures_over_time(metric="returned")

    assert [(p.label, p.claimant) for p in deported] == [
        ("spring 2023", "Government of Ukraine"),
        ("2023-04-28", "Government of Ukraine"),
        ("2023-12-08", "Russian state (as quoted by the President of Ukraine)"),
        ("2025-06-02", "Russian delegation at talks in Istanbul"),
        ("2025-06-02", "Ukrainian delegation at talks in Istanbul"),
        ("late 2025", "Ministry of Foreign Affairs of Ukraine"),
    ]
    assert [(p.label, p.value, p.qualifier) for p in returned] == [
        ("spring 2023", 360, "more_than"),
        ("late 2025", 1850, "stated"),
    ]
    # The registry's own side is its cases, never mixed with the claims.
    assert sum(registry_counts_by_status(actor=None).values()) == 0
