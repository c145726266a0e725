"""Case imports: an organization's spreadsheet of cases, checked, then written all at once.

The life of an import::

    upload (read the table: a file that cannot be read is refused, nothing kept)
      -> validating -> validated | invalid          (every row checked, matches found)
      -> committing -> committed                    (all rows written, or none: back to invalid)
      -> discarded                                  (at any point before the write)

Checking a row is what writing it would check (``cases.services.case_records_check``), plus
what only an import knows: the organization's reference (``ref``) a row carries. A reference
the organization gave before names the child it wrote then: the row updates that child and
the organization's case of it through the case services (never a second child). A new row is
matched against the registry (``cases.selectors_matching``): a row like a child already there
is flagged in the report and, once written, proposed as a possible duplicate
(``duplicate_pairs_propose``) for a caseworker to decide; nothing is merged.

Who may import: whoever may open cases for the organization (``Capability.CASE_CREATE``);
changing records imported before takes the right to change cases too (``CASE_WRITE``).

The report keeps no personal data: problems name the row and the column, matches the
children's ids (shown to a reader as that reader may see them, when read). The uploaded file is
kept only until the import is written or discarded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Organization
from accounts.roles import Capability
from accounts.selectors import actor_roles
from accounts.services import ActingRefusals, acting_organization
from audit import services as audit
from cases import services as case_services
from cases.models import Case, Child, ExternalReference
from cases.names import clean_name
from cases.selectors import oblast_list
from cases.selectors_matching import (
    Candidate,
    CandidatePools,
    candidate_pools,
    child_candidates_many,
)
from cases.selectors_references import children_by_reference
from core.db import alongside
from core.errors import ValidationFailed
from core.memory import collection_paused

from ..case_rows import COLUMNS, FIELD_COLUMNS, ImportRow, RowProblem, RowReader
from ..exceptions import CaseImportNotFound, CaseImportNotReady
from ..models import CaseImport, ImportStatus
from ..tabular import Table
from ..uploads import read_upload

Actor = Any  # a user, or None: the system (a command)
Progress = Callable[[int, int], None]

# Tasks enqueued by name: ``imports.tasks`` registers them and calls these services.
CHECK_TASK: Final = "imports.case_import_check"
COMMIT_TASK: Final = "imports.case_import_commit"
# Rows matched in one call of the matcher, and how often progress is told.
MATCH_BATCH: Final = 250
# Problems kept in a report: enough to fix a file, bounded for one that is wrong throughout.
MAX_REPORTED_PROBLEMS: Final = 5_000
PROGRESS_TTL: Final = 24 * 3600

_IMPORTING = ActingRefusals(
    no_role=_lazy("Your role does not allow importing cases."),
    several=_lazy("You belong to several organizations; say which one the cases belong to."),
    not_here=_lazy("You may not open cases for this organization."),
    unnamed=_lazy("Say which organization the cases belong to."),
)


def sync_max_rows() -> int:
    """Imports of more rows are checked and written by a Celery worker, not in the request."""
    return int(getattr(settings, "IMPORT_SYNC_MAX_ROWS", 200))


def progress_key(import_id: int) -> str:
    """The cache key of an import's progress while a worker checks or writes it (its writes
    are in one transaction, so the row itself shows nothing until the end)."""
    return f"imports:case-import:{import_id}:rows-done"


def _tell(case_import: CaseImport, progress: Progress | None, done: int) -> None:
    total = case_import.rows_total
    cache.set(progress_key(case_import.pk), done, PROGRESS_TTL)
    if progress is not None:
        progress(done, total)


# ---------------------------------------------------------------------------------------------
# Who may import
# ---------------------------------------------------------------------------------------------
def importing_organization(*, actor: Actor, organization: Organization | None) -> Organization:
    """The organization an import belongs to: the one named (where the actor may open cases),
    or the actor's only such organization."""
    owner = acting_organization(
        actor=actor,
        organization=organization,
        capabilities=(Capability.CASE_CREATE,),
        refusals=_IMPORTING,
    )
    assert owner is not None  # ``unnamed`` makes the system and superusers name one
    return owner


def may_import(actor: Actor, organization_id: int) -> bool:
    if actor is None:
        return True
    roles = actor_roles(actor)
    return roles.is_superuser or organization_id in roles.organizations(Capability.CASE_CREATE)


def _may_change_cases(actor: Actor, organization_id: int) -> bool:
    if actor is None:
        return True
    roles = actor_roles(actor)
    return roles.is_superuser or organization_id in roles.organizations(Capability.CASE_WRITE)


def _require_importer(actor: Actor, case_import: CaseImport) -> None:
    """404 for an import of an organization the actor does not import for."""
    if not may_import(actor, case_import.organization_id):
        raise CaseImportNotFound()


def _person(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# ---------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------
def _read(content: bytes) -> Table:
    """The table, or the reason it cannot be read (413 over the size limit, else 400)."""
    return read_upload(content, COLUMNS)


@dataclass
class _Update:
    """A row whose reference the organization gave before: what it changes of that child."""

    row: ImportRow
    child: Child
    case: Case | None
    child_data: dict[str, Any] = field(default_factory=dict)
    case_data: dict[str, Any] = field(default_factory=dict)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    whereabouts: list[dict[str, Any]] = field(default_factory=list)
    relatives: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(
            self.child_data or self.case_data or self.aliases or self.whereabouts or self.relatives
        )


@dataclass
class _Plan:
    rows: list[ImportRow]
    new: list[ImportRow] = field(default_factory=list)
    updates: list[_Update] = field(default_factory=list)
    unchanged: list[ImportRow] = field(default_factory=list)
    candidates: dict[int, list[Candidate]] = field(default_factory=dict)
    # The new rows without a problem, and their candidates as drawn from the registry, for
    # ``_match`` to score (``None``: the candidates were given).
    matchable: list[ImportRow] = field(default_factory=list)
    pools: CandidatePools | None = None
    # Every row's record as the rules checked it (with ``check_rules``), for the write to reuse.
    checked: case_services.CheckedRecords | None = None

    @property
    def problems(self) -> list[RowProblem]:
        return [p for row in self.rows for p in row.problems]


def _problems_from_fields(row: ImportRow, fields: Mapping[str, Sequence[str]]) -> None:
    for name, messages in fields.items():
        column = FIELD_COLUMNS.get(name, name.split(".", 1)[-1])
        for message in messages:
            problem = RowProblem(row.number, column, str(message))
            if problem not in row.problems:
                row.problems.append(problem)


def _differs(record: Any, wanted: Any, name: str) -> bool:
    if name == "origin_oblast":  # by code: the oblast itself is not loaded
        return bool(record.origin_oblast_id != (wanted.pk if wanted is not None else None))
    current = getattr(record, name)
    if name in ("given_name", "family_name", "patronymic") and isinstance(wanted, str):
        wanted = clean_name(wanted)
    if isinstance(wanted, str) and current is None:
        current = ""
    return bool(current != wanted)


def _update_of(row: ImportRow, reference: ExternalReference) -> _Update:
    child = reference.child
    cases: list[Case] = getattr(child, "organization_cases", [])
    update = _Update(row=row, child=child, case=cases[0] if cases else None)
    record = row.record
    update.child_data = {
        name: value for name, value in record.child.items() if _differs(child, value, name)
    }
    if update.case is not None:
        update.case_data = {
            name: value for name, value in record.case.items() if _differs(update.case, value, name)
        }
    elif record.case:
        row.problems.append(
            RowProblem(
                row.number,
                "ref",
                _("The child with this reference has no case of the organization any more."),
            )
        )
    known_aliases = {clean_name(a.name) for a in child.aliases.all()}
    update.aliases = [a for a in record.aliases if clean_name(a["name"]) not in known_aliases]
    places = {
        (str(getattr(w.country, "code", w.country) or ""), w.region, w.settlement, w.from_date)
        for w in child.whereabouts.all()
    }
    update.whereabouts = [
        w
        for w in record.whereabouts
        if (w.get("country"), w.get("region", ""), w.get("settlement", ""), w.get("from_date"))
        not in places
    ]
    people = {
        (r.relationship, clean_name(r.given_name), clean_name(r.family_name))
        for r in child.relatives.all()
    }
    update.relatives = [
        r
        for r in record.relatives
        if (
            r.get("relationship"),
            clean_name(r.get("given_name", "")),
            clean_name(r.get("family_name", "")),
        )
        not in people
    ]
    return update


@collection_paused()
def _plan(
    *,
    case_import: CaseImport,
    table: Table,
    actor: Actor,
    progress: Progress | None = None,
    candidates: Mapping[int, list[Candidate]] | None = None,
    check_rules: bool = True,
    match: bool = True,
) -> _Plan:
    """Every row read and checked, sorted into new, changed and unchanged, and the new rows'
    candidates in the registry (found now, or ``candidates`` as found before, by row). Reads
    only. Without ``check_rules`` the records' own rules are left to the services that write
    them (which check them anyway, before writing anything). Without ``match`` the candidates
    are drawn but left for the caller to score (``_match``)."""
    reader = RowReader.for_oblasts(oblast_list())
    plan = _Plan(rows=[reader.read(number, cells) for number, cells in table.rows])
    organization = case_import.organization
    # The candidates of every row read well are drawn from the registry while the rules are
    # checked (the rules read nothing from the database), then scored for the rows that are
    # new and have no problem: the same candidates as drawing them after.
    drawing = [
        (row, row.description)
        for row in (plan.rows if candidates is None else [])
        if row.description is not None and not row.problems
    ]
    descriptions = [description for _row, description in drawing]
    with alongside(
        partial(candidate_pools, descriptions=descriptions), helper=bool(descriptions)
    ) as drawn:
        if check_rules:
            plan.checked = case_services.case_records_checked(
                records=[row.record for row in plan.rows]
            )
            for index, fields in plan.checked.problems.items():
                _problems_from_fields(plan.rows[index], fields)
    known = children_by_reference(
        organization=organization,
        references={row.reference for row in plan.rows if row.reference},
    )
    may_change = _may_change_cases(actor, organization.pk)
    for row in plan.rows:
        reference = known.get(row.reference)
        if reference is None:
            plan.new.append(row)
            continue
        update = _update_of(row, reference)
        if not update.changes:
            plan.unchanged.append(row)
        elif not may_change:
            row.problems.append(
                RowProblem(
                    row.number,
                    "ref",
                    _(
                        "The organization imported this reference before; your role does not "
                        "allow changing the case."
                    ),
                )
            )
        else:
            plan.updates.append(update)
    if candidates is not None:
        new_rows = {row.number for row in plan.new}
        plan.candidates = {n: c for n, c in candidates.items() if n in new_rows}
        _tell(case_import, progress, len(plan.rows))
        return plan
    plan.matchable = [row for row in plan.new if row.description is not None and not row.problems]
    drawn_for = {id(row): index for index, (row, _description) in enumerate(drawing)}
    plan.pools = drawn.result().only([drawn_for[id(row)] for row in plan.matchable])
    _tell(case_import, progress, len(plan.rows) - len(plan.matchable))
    if match:
        _match(case_import, plan, progress=progress)
    return plan


def _match(case_import: CaseImport, plan: _Plan, *, progress: Progress | None) -> None:
    """Score the candidates drawn for the plan's new rows (``plan.pools``) and keep each
    flagged row's. Reads nothing from the database (so it may run beside the write,
    ``_matched_meanwhile``)."""
    if plan.pools is None:
        return
    done = len(plan.rows) - len(plan.matchable)
    for start in range(0, len(plan.matchable), MATCH_BATCH):
        batch = plan.matchable[start : start + MATCH_BATCH]
        # The second, year-bound look is the nightly duplicate scan's: most rows are
        # children the registry does not hold, and each would take it.
        found = child_candidates_many(
            descriptions=[row.description for row in batch if row.description is not None],
            second_look=False,
            pools=plan.pools.only(range(start, start + len(batch))),
        )
        for row, row_candidates in zip(batch, found, strict=True):
            if row_candidates:
                plan.candidates[row.number] = row_candidates
        done += len(batch)
        _tell(case_import, progress, done)


@contextmanager
def _matched_meanwhile(
    case_import: CaseImport, plan: _Plan, *, progress: Progress | None
) -> Iterator[None]:
    """Score the plan's candidates (``_match``) on a helper thread while the block writes:
    the scoring is Python's work, and it runs while the write waits for the database (which
    gives up Python's lock). The block must not read ``plan.candidates``; leaving it waits for
    the scoring to end, also when the block raised (the report names every flagged row)."""
    helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-matching")
    scoring = helper.submit(_match, case_import, plan, progress=progress)
    try:
        yield
    finally:
        helper.shutdown(wait=True)
    scoring.result()  # what the scoring raised, if anything


def _report(plan: _Plan, *, written: bool = False) -> dict[str, Any]:
    """What the check found, without personal data: counts, each problem (row, column,
    message), and each flagged row's candidates by child id."""
    problems = plan.problems
    rows_with_problems = {p.row for p in problems}
    references = {row.number: row.reference for row in plan.rows}
    return {
        "counts": {
            "rows": len(plan.rows),
            "new": len(plan.new),
            "updated": len(plan.updates),
            "unchanged": len(plan.unchanged),
            "with_problems": len(rows_with_problems),
            "problems": len(problems),
            "matching_existing": len(plan.candidates),
        },
        "written": written,
        "problems": [p.as_dict() for p in problems[:MAX_REPORTED_PROBLEMS]],
        "matches": [
            {
                "row": number,
                "ref": references[number],
                "candidates": [
                    {
                        "child_id": c.child_id,
                        "score": round(c.score, 4),
                        "band": c.band,
                        "reasons": list(c.reasons),
                    }
                    for c in candidates
                ],
            }
            for number, candidates in sorted(plan.candidates.items())
        ],
    }


def _save(case_import: CaseImport, before: dict[str, Any], actor: Actor, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(case_import, name, value)
    case_import.save()
    audit.record_update(case_import, before, actor=actor)


def _save_committed(
    case_import: CaseImport, before: dict[str, Any], actor: Actor, plan: _Plan, **more: Any
) -> None:
    """The import written: its report, its file dropped, who wrote it and when (now)."""
    _save(
        case_import,
        before,
        actor,
        status=ImportStatus.COMMITTED,
        report=_report(plan, written=True),
        rows_done=len(plan.rows),
        content=None,
        committed_at=timezone.now(),
        committed_by=_person(actor),
        **more,
    )


def _check(
    case_import: CaseImport, table: Table, *, actor: Actor, progress: Progress | None
) -> CaseImport:
    before = audit.snapshot(case_import)
    plan = _plan(case_import=case_import, table=table, actor=actor, progress=progress)
    _save(
        case_import,
        before,
        actor,
        status=ImportStatus.INVALID if plan.problems else ImportStatus.VALIDATED,
        report=_report(plan),
        rows_total=len(plan.rows),
        rows_done=len(plan.rows),
        validated_at=timezone.now(),
    )
    return case_import


# ---------------------------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def case_import_upload(
    *,
    actor: Actor,
    file_name: str,
    content: bytes,
    organization: Organization | None = None,
    in_background: bool | None = None,
    progress: Progress | None = None,
) -> CaseImport:
    """Receive a file of cases and check it: every row's problems and the rows that match
    children already in the registry, in the import's report. Writes nothing to the registry.

    A file that cannot be read as a table of the import's columns (empty, neither CSV nor XLSX,
    a required column missing, over a limit) is refused (``TableRefused``, 413 when too large)
    and nothing is kept. A file of more than ``IMPORT_SYNC_MAX_ROWS`` rows is checked by a
    worker (``in_background`` forces either way): the import is returned ``validating``.
    """
    case_import, table = _received(
        actor=actor, file_name=file_name, content=content, organization=organization
    )
    background = len(table.rows) > sync_max_rows() if in_background is None else in_background
    if background:
        task = current_app.tasks[CHECK_TASK]
        actor_id = actor.pk if _person(actor) is not None else None
        transaction.on_commit(partial(task.delay, case_import.pk, actor_id))
        return case_import
    return _check(case_import, table, actor=actor, progress=progress)


def _received(
    *, actor: Actor, file_name: str, content: bytes, organization: Organization | None
) -> tuple[CaseImport, Table]:
    """The import of a file the actor may import for the organization (``validating``), kept
    and audited, and its table; ``TableRefused`` for a file that cannot be read."""
    organization = importing_organization(actor=actor, organization=organization)
    table = _read(content)
    case_import = CaseImport(
        organization=organization,
        created_by=_person(actor),
        file_name=os.path.basename(file_name.replace("\\", "/"))[:255] or "upload",
        file_format=table.file_format,
        file_size=len(content),
        file_sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        status=ImportStatus.VALIDATING,
        rows_total=len(table.rows),
    )
    case_import.save()
    audit.record_create(case_import, actor=actor, organization=organization)
    return case_import, table


@transaction.atomic
def case_import_run(
    *,
    actor: Actor,
    file_name: str,
    content: bytes,
    organization: Organization | None = None,
    progress: Progress | None = None,
) -> CaseImport:
    """Check a file and write it in one pass, all rows or none: ``case_import_upload`` then
    ``case_import_commit`` in one transaction, each row read, checked and matched once (what
    ``import_cases`` does without ``--dry-run``).

    A row with a problem leaves the import ``invalid`` with its report (as the check does)
    and nothing written; otherwise it is ``committed``, the file dropped, as after a commit.
    Refused as ``case_import_upload`` refuses (``TableRefused``; the actor's rights)."""
    case_import, table = _received(
        actor=actor, file_name=file_name, content=content, organization=organization
    )
    before = audit.snapshot(case_import)
    plan = _plan(case_import=case_import, table=table, actor=actor, progress=progress, match=False)
    if plan.problems:
        _match(case_import, plan, progress=progress)
    else:
        try:
            with transaction.atomic():
                _written(case_import, plan, actor=actor, progress=progress, matching=True)
        except _RowsRefused:
            pass  # the problems are the plan's now
    checked_at = timezone.now()
    if plan.problems:
        _save(
            case_import,
            before,
            actor,
            status=ImportStatus.INVALID,
            report=_report(plan),
            rows_done=len(plan.rows),
            validated_at=checked_at,
        )
        return case_import
    _save_committed(case_import, before, actor, plan, validated_at=checked_at)
    cache.delete(progress_key(case_import.pk))
    return case_import


def _lock(case_import_id: int) -> CaseImport:
    try:
        return (
            CaseImport.objects.select_for_update()
            .select_related("organization")
            .get(pk=case_import_id)
        )
    except CaseImport.DoesNotExist:
        raise CaseImportNotFound() from None


@transaction.atomic
def case_import_check(
    *, case_import_id: int, actor: Actor, progress: Progress | None = None
) -> CaseImport:
    """Check an import received for a worker to check (``validating``); idempotent: any other
    state is left as it is."""
    case_import = _lock(case_import_id)
    _require_importer(actor, case_import)
    if case_import.status != ImportStatus.VALIDATING or case_import.content is None:
        return case_import
    table = _read(bytes(case_import.content))
    return _check(case_import, table, actor=actor, progress=progress)


@transaction.atomic
def case_import_commit_queue(*, case_import_id: int, actor: Actor) -> CaseImport:
    """Hand a checked import to a worker to write (``committing``), for imports too large to
    write within a request."""
    case_import = _lock(case_import_id)
    _require_importer(actor, case_import)
    if case_import.status != ImportStatus.VALIDATED:
        raise _not_ready(case_import)
    before = audit.snapshot(case_import)
    _save(case_import, before, actor, status=ImportStatus.COMMITTING, rows_done=0)
    task = current_app.tasks[COMMIT_TASK]
    actor_id = actor.pk if _person(actor) is not None else None
    transaction.on_commit(partial(task.delay, case_import.pk, actor_id))
    return case_import


def _not_ready(case_import: CaseImport) -> CaseImportNotReady:
    messages: dict[str, str] = {
        ImportStatus.VALIDATING: _("The import is still being checked."),
        ImportStatus.INVALID: _("The import has problems: fix the file and upload it again."),
        ImportStatus.COMMITTING: _("The import is being written."),
        ImportStatus.COMMITTED: _("The import was written."),
        ImportStatus.DISCARDED: _("The import was discarded."),
        ImportStatus.FAILED: _("The import failed: upload the file again."),
    }
    return CaseImportNotReady(messages.get(case_import.status))


class _RowsRefused(Exception):
    """The plan found problems inside the write's transaction: roll it back."""

    def __init__(self, plan: _Plan) -> None:
        super().__init__("rows refused")
        self.plan = plan


def _apply_update(update: _Update, *, actor: Actor) -> None:
    """Change a child imported before through the case services, as a caseworker would."""
    child = update.child
    if update.case is not None and (update.case_data or update.child_data):
        child = case_services.case_update(
            case=update.case, actor=actor, data=update.case_data, child_data=update.child_data
        ).child
    elif update.child_data:
        case_services.child_update(child=child, actor=actor, data=update.child_data)
    for alias in update.aliases:
        case_services.child_alias_add(child=child, actor=actor, **alias)
    for stay in update.whereabouts:
        case_services.whereabouts_record(child=child, actor=actor, data=stay)
    for relative in update.relatives:
        case_services.relative_create(child=child, actor=actor, data=relative)


def _write(
    case_import: CaseImport, *, actor: Actor, progress: Progress | None
) -> tuple[_Plan, list[Case]]:
    """Check every row again (the registry may have changed since: a reference taken, a case
    closed) and write them all, in the caller's transaction; ``_RowsRefused`` when a row breaks
    a rule. The rows flagged by the check are proposed as possible duplicates."""
    table = _read(bytes(case_import.content or b""))
    plan = _plan(
        case_import=case_import,
        table=table,
        actor=actor,
        progress=progress,
        candidates=_candidates_found(case_import),
        check_rules=False,
    )
    return plan, _written(case_import, plan, actor=actor)


@collection_paused()
def _written(
    case_import: CaseImport,
    plan: _Plan,
    *,
    actor: Actor,
    progress: Progress | None = None,
    matching: bool = False,
) -> list[Case]:
    """Write a plan's rows in the caller's transaction (``_RowsRefused`` when one breaks a
    rule): the new rows as the check built them when it did, the updates through the case
    services, and the flagged rows proposed as possible duplicates. With ``matching``, the
    plan's drawn candidates are scored while the rows are written (``_matched_meanwhile``)."""
    if plan.problems:
        if matching:
            _match(case_import, plan, progress=progress)
        raise _RowsRefused(plan)
    with _matched_meanwhile(case_import, plan, progress=progress) if matching else nullcontext():
        cases = _rows_written(case_import, plan, actor=actor)
        if matching and connection.vendor == "postgresql":
            # The foreign keys' deferred checks (hundreds of thousands for an import's rows)
            # now, while the scoring runs, rather than alone at the commit; deferred again
            # after, as Django's own check does.
            connection.check_constraints()
    case_services.duplicate_pairs_propose_many(
        proposals=[
            (case.child, plan.candidates[row.number])
            for row, case in zip(plan.new, cases, strict=True)
            if row.number in plan.candidates
        ]
    )
    return cases


def _rows_written(case_import: CaseImport, plan: _Plan, *, actor: Actor) -> list[Case]:
    """The new rows and the updates written (``_RowsRefused`` when one breaks a rule)."""
    rows_by_index = plan.new
    records: Sequence[case_services.NewCaseRecord] | case_services.CheckedRecords
    if plan.checked is not None:
        position = {id(row): index for index, row in enumerate(plan.rows)}
        records = plan.checked.only([position[id(row)] for row in rows_by_index])
    else:
        records = [row.record for row in rows_by_index]
    try:
        cases = case_services.cases_create_many(
            actor=actor,
            records=records,
            organization=case_import.organization,
            metadata={"case_import": case_import.pk},
        )
        for update in plan.updates:
            try:
                _apply_update(update, actor=actor)
            except ValidationFailed as exc:
                _problems_from_fields(update.row, exc.fields or {"ref": [exc.detail]})
                raise _RowsRefused(plan) from None
    except ValidationFailed as exc:
        # Fields named ``<index>.<field>`` by the bulk service.
        for name, messages in exc.fields.items():
            index, _sep, rest = name.partition(".")
            if index.isdigit() and int(index) < len(rows_by_index):
                _problems_from_fields(rows_by_index[int(index)], {rest: messages})
        if not plan.problems and plan.rows:
            plan.rows[0].problems.append(RowProblem(plan.rows[0].number, "ref", exc.detail))
        raise _RowsRefused(plan) from None
    return cases


def _candidates_found(case_import: CaseImport) -> dict[int, list[Candidate]]:
    """The candidates the check found, by row: the rows flagged in the report are the rows
    proposed as possible duplicates. (A child added to the registry since is found by the
    periodic scan for duplicates, as any two alike children are.)"""
    return {
        match["row"]: [
            Candidate(c["child_id"], c["score"], c["band"], tuple(c["reasons"]))
            for c in match["candidates"]
        ]
        for match in (case_import.report or {}).get("matches", [])
    }


def case_import_commit(
    *, case_import_id: int, actor: Actor, progress: Progress | None = None
) -> CaseImport:
    """Write a checked import: every row or none.

    The rows are checked again first; a row that breaks a rule now (a reference another import
    took meanwhile, say) leaves the registry untouched and the import ``invalid`` with the
    problems in its report. Otherwise new rows open cases (``cases_create_many``), rows with a
    reference imported before update that child's records, and rows that match other children
    are proposed as possible duplicates. The file is dropped once written.
    """
    with transaction.atomic():
        case_import = _lock(case_import_id)
        _require_importer(actor, case_import)
        if case_import.status not in (ImportStatus.VALIDATED, ImportStatus.COMMITTING):
            raise _not_ready(case_import)
        before = audit.snapshot(case_import)
        try:
            with transaction.atomic():
                plan, _cases = _write(case_import, actor=actor, progress=progress)
        except _RowsRefused as refused:
            _save(
                case_import,
                before,
                actor,
                status=ImportStatus.INVALID,
                report=_report(refused.plan),
                rows_done=0,
            )
            return case_import
        _save_committed(case_import, before, actor, plan)
    cache.delete(progress_key(case_import.pk))
    return case_import


@transaction.atomic
def case_import_discard(*, case_import_id: int, actor: Actor) -> CaseImport:
    """Drop an import before it is written: its file is deleted, its report and counts kept."""
    case_import = _lock(case_import_id)
    _require_importer(actor, case_import)
    if case_import.status in (ImportStatus.COMMITTING, ImportStatus.COMMITTED):
        raise _not_ready(case_import)
    if case_import.status == ImportStatus.DISCARDED:
        return case_import
    before = audit.snapshot(case_import)
    _save(case_import, before, actor, status=ImportStatus.DISCARDED, content=None)
    return case_import


@transaction.atomic
def case_import_fail(*, case_import_id: int, error: str) -> CaseImport | None:
    """Mark an import a worker could not finish as failed (its file dropped): the hook of the
    tasks' failure handler. ``error`` is a class name or a code, never a cell."""
    case_import = CaseImport.objects.select_for_update().filter(pk=case_import_id).first()
    if case_import is None or case_import.status in (
        ImportStatus.COMMITTED,
        ImportStatus.DISCARDED,
    ):
        return case_import
    before = audit.snapshot(case_import)
    _save(case_import, before, None, status=ImportStatus.FAILED, error=error[:500], content=None)
    return case_import
