"""Identity matching over a list: an uploaded table of children, or a coalition list of named
children, each row matched against the registry (``cases.selectors_matching``), up to five
candidates a row.

Who may run: whoever reads cases (caseworkers, supervisors, partners, auditors) or coordinates
the coalition, and superusers; a run over a coalition list also needs to read the coalition.
A run is seen by who ran it (and superusers): ``imports.selectors.match_runs``.

A run of a few rows is matched at once, in the request; a larger one is queued for Celery and
reports its progress (``rows_done`` of ``rows_total``) as it goes. What is kept of a finished
run is, per row, its number, the ``ref``/``id`` it came with, its problems (a column and a code,
never a cell) and its candidates as found (child, score, band, reasons); the uploaded file is
dropped. Candidates are shown as the reader may see them when the results are read
(``cases.selectors_matching.candidates_as_seen``), so a share granted or revoked since counts.

Confirming a candidate for a list entry links the entry to the child's case through the
coalition's own service, whose rules decide who may link (coordinators of the list's keeping
organization) and which case (one the actor sees, or one of the keeping organization).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from audit.models import AuditEvent
from cases.matching import Description, description_from, parse_date_of_birth
from cases.models import Case
from cases.selectors import reads_all_cases
from cases.selectors_matching import Candidate, child_candidates_many
from cases.workflow import Status
from coalition.models import ChildList, ChildListEntry
from coalition.selectors.lists import entries_as_seen, list_entries
from coalition.services.lists import entry_update, may_link_case, require_list_writer
from core.errors import DomainError, PermissionDenied, ValidationFailed
from core.memory import collection_paused

from ..exceptions import MatchRunNotDone, TableRefused
from ..models import MatchRun, MatchRunStatus
from ..tabular import Column, Table, TableError
from ..uploads import read_upload

logger = logging.getLogger(__name__)

# Who acts: a user (a person or an API key's service account), or ``None`` for the system.
Actor = User | None

MATCH_RUN_TASK: Final = "imports.match_run_execute"

# Defaults, each overridable in settings (``MATCH_RUN_SYNC_ROWS`` and so on).
# Up to this many rows a run is matched in the request; more are queued for Celery.
SYNC_ROWS: Final = 200
# A run holds at most this many rows (lists handed over in negotiations hold hundreds).
MAX_ROWS: Final = 10_000
# Rows matched between two reports of progress.
BATCH_ROWS: Final = 100
# Candidates kept per row.
CANDIDATES_PER_ROW: Final = 5


def limit(name: str) -> int:
    """A setting of match runs: ``settings.MATCH_RUN_<NAME>`` or its default here."""
    value = getattr(settings, f"MATCH_RUN_{name}", None)
    return int(value) if value is not None else int(globals()[name])


# ---------------------------------------------------------------------------------------------
# The columns of a list, in English and Ukrainian
# ---------------------------------------------------------------------------------------------
MATCH_COLUMNS: Final = (
    Column("full_name", ("full name", "name", "піб", "повне ім'я", "повне імʼя")),
    Column("given_name", ("first name", "ім'я", "імʼя")),
    Column("family_name", ("surname", "last name", "прізвище")),
    Column("patronymic", ("middle name", "по батькові")),
    Column("date_of_birth", ("date of birth", "birth date", "dob", "дата народження")),
    Column("sex", ("gender", "стать")),
    Column("origin_oblast", ("oblast", "oblast of origin", "область", "область походження")),
    # Echoed back, so the results can be joined to the list they came from.
    Column("ref", ("reference", "посилання", "шифр")),
    Column("id", ("номер",)),
)
NAME_COLUMNS: Final = ("full_name", "given_name", "family_name")

# Row problems: a column and a code; the message is given when the results are read.
PROBLEM_MESSAGES: Final[dict[str, Any]] = {
    "no_name": _("No name to match: give full_name, or given_name and family_name."),
    "invalid_date": _(
        "Not a date of birth: give YYYY, YYYY-MM or YYYY-MM-DD (or DD.MM.YYYY); the row was "
        "matched without it."
    ),
    "invalid_sex": _("Give M or F; the row was matched without it."),
    "invalid_oblast": _("Give an ISO 3166-2 code such as UA-14; the row was matched without it."),
}

# Sex as lists write it: English and Ukrainian letters and words.
_SEX_WORDS: Final = {
    "m": "M",
    "male": "M",
    "boy": "M",
    "м": "M",
    "ч": "M",
    "чол": "M",
    "чоловіча": "M",
    "хлопчик": "M",
    "f": "F",
    "female": "F",
    "girl": "F",
    "ж": "F",
    "жін": "F",
    "жіноча": "F",
    "дівчинка": "F",
}


# ---------------------------------------------------------------------------------------------
# Who may run
# ---------------------------------------------------------------------------------------------
def may_run_matching(actor: Actor) -> bool:
    """Whoever reads cases or coordinates the coalition, superusers, and the system."""
    if actor is None:
        return True
    roles = actor_roles(actor)
    return (
        reads_all_cases(actor)
        or roles.can(Capability.CASE_READ)
        or roles.can(Capability.WRITE_COALITION)
    )


class MatchRunDenied(PermissionDenied):
    code = "match_run_denied"
    default_detail = _("Matching lists takes a role that reads cases or coordinates the coalition.")


def require_runner(actor: Actor) -> None:
    if not may_run_matching(actor):
        raise MatchRunDenied()


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ListRow:
    """One row to match: its number (the spreadsheet's, or the entry's on the list), what it
    is known by, the description read from it and the problems found reading it."""

    row: int
    description: Description | None
    problems: tuple[tuple[str, str], ...] = ()
    ref: str = ""
    id: str = ""
    entry: int | None = None

    def result(self, candidates: Sequence[Candidate]) -> dict[str, Any]:
        """The row as kept: no name, no date; the candidates as found."""
        return {
            "row": self.row,
            "ref": self.ref,
            "id": self.id,
            "entry": self.entry,
            "problems": [{"column": c, "code": code} for c, code in self.problems],
            "candidates": [
                {
                    "child": c.child_id,
                    "score": round(c.score, 4),
                    "band": c.band,
                    "reasons": list(c.reasons),
                }
                for c in candidates
            ],
        }


_ISO_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[./\-\s](\d{1,2})[./\-\s](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[./\-\s](\d{4})$")
_DIGITS = re.compile(r"\d+")
EARLIEST_YEAR: Final = 1900


def date_of_birth_as_written(text: str) -> str | None:
    """A date of birth as lists write it, as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: ISO
    (``2012-05-17``), day first (``17.05.2012``, ``17/05/2012``), month and year
    (``05.2012``), or a year among words (``2012 р.н.``, ``born c. 2012``). ``None`` for an
    empty text; ``ValueError`` for anything else, an impossible date, or a year before 1900
    or after this year."""
    value = unicodedata.normalize("NFKC", text).strip().rstrip(".").strip()
    if not value:
        return None
    year: int
    month: int | None = None
    day: int | None = None
    if found := _ISO_DATE.match(value):
        year = int(found[1])
        month = int(found[2]) if found[2] else None
        day = int(found[3]) if found[3] else None
    elif found := _DAY_FIRST.match(value):
        day, month, year = int(found[1]), int(found[2]), int(found[3])
    elif found := _MONTH_YEAR.match(value):
        month, year = int(found[1]), int(found[2])
    else:
        numbers = _DIGITS.findall(value)
        if len(numbers) != 1 or len(numbers[0]) != 4:
            raise ValueError("date_of_birth: not a date")
        year = int(numbers[0])
    if not EARLIEST_YEAR <= year <= timezone.localdate().year:
        raise ValueError("date_of_birth: year out of range")
    text_form = f"{year:04d}"
    if month is not None:
        text_form += f"-{month:02d}"
        if day is not None:
            text_form += f"-{day:02d}"
    parse_date_of_birth(text_form)  # an impossible date raises ValueError
    return text_form


def _checked(
    value: str, column: str, code: str, read: Callable[[str], str | None], problems: list[Any]
) -> str | None:
    if not value.strip():
        return None
    try:
        return read(value)
    except ValueError:
        problems.append((column, code))
        return None


def _read_sex(value: str) -> str | None:
    found = _SEX_WORDS.get(value.strip().lower().rstrip("."))
    if found is None:
        raise ValueError("sex")
    return found


def _read_oblast(value: str) -> str | None:
    return description_from(origin_oblast=value).origin_oblast


def row_from_values(number: int, values: Mapping[str, str], *, entry: int | None = None) -> ListRow:
    """A ``ListRow`` from a row's cells by column name. A date, sex or oblast that cannot be
    read is a problem of the row, which is still matched without it; a row without a name is
    a problem and is not matched."""
    problems: list[tuple[str, str]] = []
    date_text = _checked(
        values.get("date_of_birth", ""),
        "date_of_birth",
        "invalid_date",
        date_of_birth_as_written,
        problems,
    )
    sex = _checked(values.get("sex", ""), "sex", "invalid_sex", _read_sex, problems)
    oblast = _checked(
        values.get("origin_oblast", ""), "origin_oblast", "invalid_oblast", _read_oblast, problems
    )
    description = description_from(
        full_name=values.get("full_name") or None,
        given_name=values.get("given_name") or None,
        family_name=values.get("family_name") or None,
        patronymic=values.get("patronymic") or None,
        date_of_birth=date_text,
        sex=sex,
        origin_oblast=oblast,
    )
    named = bool(description.given_name or description.family_name)
    if not named:
        column = next((c for c in NAME_COLUMNS if c in values), "full_name")
        problems.insert(0, (column, "no_name"))
    return ListRow(
        row=number,
        description=description if named else None,
        problems=tuple(problems),
        ref=values.get("ref", ""),
        id=values.get("id", ""),
        entry=entry,
    )


def rows_from_table(table: Table) -> list[ListRow]:
    """The rows of an uploaded table; refused (``TableRefused``) when its header names no
    column to read a name from, or it holds more rows than a run takes."""
    if not any(name in table.columns for name in NAME_COLUMNS):
        raise TableRefused(
            TableError(
                "missing_columns",
                gettext(
                    "The header needs full_name, or given_name and family_name, to read a "
                    "name from."
                ),
                row=1,
                column="full_name",
            )
        )
    most = limit("MAX_ROWS")
    if len(table.rows) > most:
        raise TableRefused(
            TableError(
                "too_many_rows",
                gettext("A run takes at most %(limit)s rows; split the list.") % {"limit": most},
                row=table.rows[most][0],
            )
        )
    return [row_from_values(number, values) for number, values in table.rows]


def rows_from_list(*, actor: Actor, child_list: ChildList) -> list[ListRow]:
    """The entries of a coalition list as ``actor`` sees them
    (``coalition.selectors.lists.entries_as_seen``): an entry whose name the actor does not
    see is left out; a date of birth the actor may not see is not used. The name and date as
    written are read leniently (any order of the name's parts, ``DD.MM.YYYY``, a year among
    words)."""
    entries = list(list_entries(child_list=child_list).order_by("position"))
    rows = []
    for seen in entries_as_seen(actor=actor, child_list=child_list, entries=entries):
        if not seen.shows_name:
            continue
        entry = seen.entry
        values = {"full_name": entry.name_as_written}
        if seen.shows_birth:
            values["date_of_birth"] = entry.date_of_birth_as_written
        rows.append(row_from_values(entry.position, values, entry=entry.pk))
    return rows


def read_list_file(content: bytes) -> Table:
    """An uploaded list as a ``Table`` of ``MATCH_COLUMNS``; ``FileTooLarge`` or
    ``TableRefused`` when it cannot be read."""
    return read_upload(content, MATCH_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Starting a run
# ---------------------------------------------------------------------------------------------
def _file_name(value: str) -> str:
    """An uploaded file's name without directories or control characters."""
    name = value.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "list"


@transaction.atomic
def match_run_start_file(*, actor: Actor, file_name: str, content: bytes) -> MatchRun:
    """Match the rows of an uploaded CSV or XLSX. The file is checked whole first (format,
    size, header, limits: ``TableRefused`` naming the row and the column, nothing written); a
    run of up to ``MATCH_RUN_SYNC_ROWS`` rows is matched before this returns, a larger one is
    queued."""
    require_runner(actor)
    table = read_list_file(content)
    rows = rows_from_table(table)
    run = MatchRun(
        created_by=actor,
        file_name=_file_name(file_name),
        file_format=table.file_format,
        file_sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        rows_total=len(rows),
    )
    run.save()
    audit.record_create(run, actor=actor)
    return _dispatch(run, rows)


@transaction.atomic
def match_run_start_list(*, actor: Actor, child_list: ChildList) -> MatchRun:
    """Match the entries of a coalition list of named children that ``actor`` sees the names
    of; refused when there are none."""
    require_runner(actor)
    if actor is not None and not actor_roles(actor).can(Capability.READ_COALITION):
        raise MatchRunDenied(gettext("Matching a coalition list takes a role that reads it."))
    rows = rows_from_list(actor=actor, child_list=child_list)
    if not rows:
        raise ValidationFailed.on(
            "child_list", gettext("No entry of this list shows you a name to match.")
        )
    if len(rows) > limit("MAX_ROWS"):
        raise ValidationFailed.on(
            "child_list",
            gettext("A run takes at most %(limit)s rows.") % {"limit": limit("MAX_ROWS")},
        )
    run = MatchRun(created_by=actor, child_list=child_list, rows_total=len(rows))
    run.save()
    audit.record_create(run, actor=actor)
    return _dispatch(run, rows)


def _dispatch(run: MatchRun, rows: list[ListRow]) -> MatchRun:
    """Match a small run now; queue a large one for Celery once the run is committed."""
    if len(rows) <= limit("SYNC_ROWS"):
        _start(run)
        return _finish(run, _match(run, rows, report_progress=False))
    task = current_app.tasks[MATCH_RUN_TASK]
    transaction.on_commit(lambda: task.delay(run.pk))
    return run


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
_PROGRESS_REASON = "progress of a run: a count of rows the run's own events frame"


@collection_paused()
def _match(
    run: MatchRun,
    rows: Sequence[ListRow],
    *,
    report_progress: bool,
    on_batch: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Each row's candidates, in batches; after each batch ``rows_done`` moves (committed at
    once when the run is in Celery, so a reader sees it) and ``on_batch`` hears how many rows
    the batch held."""
    results: list[dict[str, Any]] = []
    batch_rows = max(1, limit("BATCH_ROWS"))
    for start in range(0, len(rows), batch_rows):
        batch = rows[start : start + batch_rows]
        described = [row for row in batch if row.description is not None]
        found = child_candidates_many(
            descriptions=[row.description for row in described if row.description is not None],
            limit=CANDIDATES_PER_ROW,
        )
        by_position = {
            id(row): candidates for row, candidates in zip(described, found, strict=True)
        }
        for row in batch:
            results.append(row.result(by_position.get(id(row), [])))
        if report_progress:
            MatchRun.objects.filter(pk=run.pk).unaudited_update(
                _PROGRESS_REASON, rows_done=len(results)
            )
        if on_batch is not None:
            on_batch(len(batch))
    return results


def _start(run: MatchRun) -> None:
    before = audit.snapshot(run, fields=["status"])
    run.status = MatchRunStatus.RUNNING
    run.save(update_fields=["status", "updated_at"])
    audit.record_update(run, before, actor=None)


@transaction.atomic
def _finish(run: MatchRun, results: list[dict[str, Any]]) -> MatchRun:
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    before = audit.snapshot(run, fields=["status", "finished_at", "rows_total"])
    run.results = results
    run.rows_total = run.rows_done = len(results)
    run.status = MatchRunStatus.DONE
    run.finished_at = timezone.now()
    run.content = None  # the list held children's names: not kept past the run
    run.save()
    audit.record_update(run, before, actor=None)
    logger.info(
        "match_run_done run=%s rows=%s with_candidates=%s",
        run.pk,
        len(results),
        sum(1 for row in results if row["candidates"]),
    )
    return run


@transaction.atomic
def match_run_fail(*, run_id: int, error: str) -> None:
    """Mark a run that has not finished as failed, with why, and drop its uploaded list (the
    task's failure hook: no run waits in ``running`` for ever holding children's names). A
    run done, failed or gone is left alone."""
    run = MatchRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status in (MatchRunStatus.DONE, MatchRunStatus.FAILED):
        return
    before = audit.snapshot(run, fields=["status", "finished_at", "error"])
    run.status = MatchRunStatus.FAILED
    run.error = error
    run.finished_at = timezone.now()
    run.content = None
    run.save()
    audit.record_update(run, before, actor=None)
    logger.warning("match_run_failed run=%s", run.pk)


def _rows_of(run: MatchRun) -> list[ListRow]:
    if run.child_list_id is not None:
        child_list = ChildList.objects.get(pk=run.child_list_id)
        return rows_from_list(actor=run.created_by, child_list=child_list)
    return rows_from_table(read_list_file(bytes(run.content or b"")))


def match_run_execute(*, run_id: int) -> MatchRun | None:
    """Run a queued run (Celery's entry): running, then each batch's progress committed as
    it goes, then done with its results (or failed, with why). A run no longer queued (a task
    delivered twice) is left alone; ``None`` when the run is gone."""
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != MatchRunStatus.QUEUED:
            return run
        _start(run)
    try:
        # A list's entries may have changed since the run was asked for: the rows matched are
        # those of now, and the finished run counts them.
        rows = _rows_of(run)
        results = _match(run, rows, report_progress=True)
    except (DomainError, DatabaseError) as error:
        match_run_fail(
            run_id=run.pk, error=str(getattr(error, "detail", "")) or gettext("The run failed.")
        )
        return MatchRun.objects.get(pk=run.pk)
    return _finish(run, results)


def match_run_file(
    *,
    actor: Actor,
    file_name: str,
    content: bytes,
    on_batch: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> MatchRun:
    """Match an uploaded list at once, whatever its size (the command's way): as
    ``match_run_start_file`` but never queued; ``on_rows`` hears how many rows there are and
    ``on_batch`` each batch matched (a progress bar)."""
    require_runner(actor)
    table = read_list_file(content)
    rows = rows_from_table(table)
    if on_rows is not None:
        on_rows(len(rows))
    with transaction.atomic():
        run = MatchRun(
            created_by=actor,
            file_name=_file_name(file_name),
            file_format=table.file_format,
            file_sha256=hashlib.sha256(content).hexdigest(),
            rows_total=len(rows),
        )
        run.save()
        audit.record_create(run, actor=actor)
        _start(run)
    return _finish(run, _match(run, rows, report_progress=True, on_batch=on_batch))


# ---------------------------------------------------------------------------------------------
# Reading results: the audited read
# ---------------------------------------------------------------------------------------------
def match_run_read_record(
    *, actor: Actor, run: MatchRun, case_ids: Sequence[int], download: str = ""
) -> AuditEvent:
    """Record one read of a run's results, naming the cases whose children it showed (none
    when every candidate was held elsewhere or there were none)."""
    return audit.record_read(
        actor=actor,
        of=run,
        records={Case: sorted(set(case_ids))},
        metadata={"format": download} if download else None,
    )


# ---------------------------------------------------------------------------------------------
# Confirming a match of a list entry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Confirmed:
    """The entry as linked, and the case it now names."""

    entry: ChildListEntry
    case_id: int


def _case_to_link(actor: Actor, child_list: ChildList, child_id: int) -> int | None:
    """The candidate child's case that the coalition lets ``actor`` link (should a child hold
    several, the open one first, then the latest)."""
    cases = (
        Case.objects.filter(child_id=child_id)
        .annotate(still_open=~Q(status=Status.CLOSED))
        .order_by("-still_open", "-created_at", "-id")
        .values_list("pk", flat=True)
    )
    return next((pk for pk in cases if may_link_case(actor, child_list, pk)), None)


@transaction.atomic
def match_run_confirm(
    *, actor: Actor, run: MatchRun, row: int, rank: int, shown_ranks: Sequence[int]
) -> Confirmed:
    """Confirm candidate ``rank`` of list entry ``row``: link the entry to the child's case
    with ``coalition.services.lists.entry_update`` (its rules decide who may link and which
    case). ``shown_ranks`` are the candidates of the row that ``actor`` is shown (a candidate
    not shown cannot be confirmed)."""
    if run.child_list_id is None:
        raise ValidationFailed.on(
            "row", gettext("Only a run over a list of named children links entries to cases.")
        )
    child_list = ChildList.objects.get(pk=run.child_list_id)
    require_list_writer(actor, child_list)
    if run.status != MatchRunStatus.DONE:
        raise MatchRunNotDone()
    result = next((r for r in run.results if r["row"] == row and r.get("entry")), None)
    if result is None:
        raise ValidationFailed.on("row", gettext("No such row in the results."))
    candidates = result["candidates"]
    if not 1 <= rank <= len(candidates) or rank not in shown_ranks:
        raise ValidationFailed.on("rank", gettext("No such candidate in this row."))
    entry = ChildListEntry.objects.filter(pk=result["entry"], child_list=child_list).first()
    if entry is None:
        raise ValidationFailed.on("row", gettext("The entry is no longer on the list."))
    case_id = _case_to_link(actor, child_list, candidates[rank - 1]["child"])
    if case_id is None:
        raise ValidationFailed.on(
            "rank", gettext("This candidate has no case that you may link to the entry.")
        )
    entry = entry_update(actor=actor, entry=entry, data={"case": case_id})
    return Confirmed(entry=entry, case_id=case_id)
