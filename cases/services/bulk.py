"""Opening many cases at once, for new children: an organization's import of its own records.

The same rules as ``case_create``, ``child_alias_add``, ``whereabouts_record`` and
``relative_create`` hold for each record (the names in Ukrainian Cyrillic, dates not in the
future nor before ``EARLIEST_BIRTH``, a child not taken before being born, the fields' own
checks), and every row written leaves its ``create`` event in the audit trail. What changes is
how it is written: each model in one statement (``bulk_create``, which records one event per
row in one more), the case numbers taken together, and the derived name keys copied in bulk.
Checking first and writing second keeps the write all or nothing: one record breaking a rule
refuses the whole batch before anything is written.

The duplicate check of ``case_create`` is the caller's: an import flags the rows that match
children already in the registry and proposes them as possible duplicates
(``duplicate_pairs_propose``), so a caseworker decides; nothing is merged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import Any, Final, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection, models, transaction
from django.db.models import DEFERRED, F, Model, OuterRef, Subquery, signals
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries.fields import CountryField

from accounts.models import Organization
from audit import services as audit
from core.checks import reject_unknown_fields
from core.db import InArray
from core.errors import ValidationFailed, django_validation_fields

from .. import names
from ..matching import record_name_keys
from ..models import (
    Case,
    Child,
    ChildAlias,
    ChildNameKey,
    ExternalReference,
    Relative,
    StatusChange,
    Whereabouts,
)
from ..selectors import country_codes
from ..workflow import Status
from .cases import CASE_FIELDS, _creating_organization, case_numbers_allocate
from .checks import Actor, _not_in_future
from .children import CHILD_FIELDS, _check_birth_before_deportation, _child_prepare
from .relatives import RELATIVE_FIELDS, _relative_prepare
from .search_indexes import search_merge_deferred
from .whereabouts import WHEREABOUTS_FIELDS, _whereabouts_prepare

ALIAS_FIELDS: Final = frozenset({"name", "kind", "seen_in"})
# The fields each record's own checks leave to others (set by the write, derived, or checked
# otherwise: the country by a set of codes, the foreign keys by the database).
_CHILD_UNCHECKED: Final = frozenset(
    {
        "current_whereabouts",
        "origin_oblast",
        "merged_into",
        "given_name_latin",
        "family_name_latin",
        "patronymic_latin",
        "search_text",
    }
)
_CASE_UNCHECKED: Final = frozenset(
    {"child", "organization", "created_by", "assignee", "number", "status_changed_at"}
)
_WHEREABOUTS_UNCHECKED: Final = frozenset({"child", "facility", "recorded_by", "country"})
_CHILD_ONLY: Final = frozenset({"child"})
# Name keys per INSERT where COPY is not available (SQLite's variable limit).
_NAME_KEY_BATCH: Final = 400


@dataclass
class NewCaseRecord:
    """One case to open for a new child, with what comes with it: the child's fields
    (``CHILD_FIELDS``), the case's (``CASE_FIELDS`` but the assignee), aliases, whereabouts,
    relatives, and the organization's own reference for the child (``""``: none)."""

    child: dict[str, Any]
    case: dict[str, Any] = field(default_factory=dict)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    whereabouts: list[dict[str, Any]] = field(default_factory=list)
    relatives: list[dict[str, Any]] = field(default_factory=list)
    reference: str = ""


@dataclass
class _Built:
    child: Child
    case: Case
    aliases: list[ChildAlias]
    whereabouts: list[Whereabouts]
    relatives: list[Relative]


class CheckedRecords:
    """Records checked once (``case_records_checked``), with the unsaved rows the check built:
    ``cases_create_many`` writes them without building and checking every record again (an
    import checks its rows, reports, then writes the new ones in the same transaction).

    Only the rows' own rules are taken as checked: what depends on the registry (references
    the organization gave already) is checked again by the write. The rows are the write's
    to fill in (ids, the case's number), so a check is written once at most (``only`` takes
    the records to write, by index)."""

    def __init__(
        self,
        records: Sequence[NewCaseRecord],
        built: Sequence[_Built],
        own_problems: Mapping[int, dict[str, list[str]]],
    ) -> None:
        self.records = tuple(records)
        self._built = list(built)
        # Each record's own problems (its fields and rules), by index.
        self.own_problems: dict[int, dict[str, list[str]]] = dict(own_problems)
        self._taken = False

    @property
    def problems(self) -> dict[int, dict[str, list[str]]]:
        """The own problems and the references given twice, by index (as
        ``case_records_check`` without an organization)."""
        problems = {
            index: {name: list(messages) for name, messages in errors.items()}
            for index, errors in self.own_problems.items()
        }
        _reference_checks(self.records, problems, organization=None)
        return problems

    def __len__(self) -> int:
        return len(self.records)

    def only(self, indexes: Sequence[int]) -> CheckedRecords:
        """The records at ``indexes`` (in that order), checked as they were."""
        kept = {index: position for position, index in enumerate(indexes)}
        return CheckedRecords(
            [self.records[index] for index in indexes],
            [self._built[index] for index in indexes],
            {kept[i]: errors for i, errors in self.own_problems.items() if i in kept},
        )

    def take(self) -> list[_Built]:
        """The built rows, once: a second write of the same check is a mistake."""
        if self._taken:
            raise RuntimeError("These checked records were written already.")
        self._taken = True
        return self._built


_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class _Construction:
    """How ``_unsaved`` builds a model's instance (worked out once per model)."""

    order: tuple[str, ...]  # the concrete fields' attribute names, in order
    template: tuple[Any, ...]  # each field's default where it is a constant, in order
    made: tuple[tuple[int, Callable[[], Any]], ...]  # the positions of defaults made anew
    position: dict[str, int]  # an attribute name's position
    by_object: frozenset[str]  # the names taking a related object (a foreign key's name)
    stored: tuple[bool, ...]  # whether a value may go in ``__dict__`` as setting it would


@cache
def _construction(model: type[Model]) -> _Construction:
    """A generated field is left unset; a default is made anew for each instance where the
    field's default is a callable (a ``dict``, ``timezone.now``), and taken as it is
    otherwise (a constant: the same value ``get_default`` would give each time). A value may
    go in the instance's ``__dict__`` where the field has no descriptor of its own that
    converts or checks (a plain field, or a foreign key's id on a new instance)."""
    fields = tuple(model._meta.concrete_fields)
    template: list[Any] = []
    made: list[tuple[int, Callable[[], Any]]] = []
    for index, f in enumerate(fields):
        if f.generated:
            template.append(DEFERRED)
        elif f.has_default() and callable(f.default):
            template.append(None)
            made.append((index, f.get_default))
        else:
            template.append(f.get_default())
    return _Construction(
        order=tuple(f.attname for f in fields),
        template=tuple(template),
        made=tuple(made),
        position={f.attname: index for index, f in enumerate(fields)},
        by_object=frozenset(f.name for f in fields if f.is_relation and f.name != f.attname),
        stored=tuple(
            type(vars(model).get(f.attname)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for f in fields
        ),
    )


def _constructed(model: type[_M], values: Sequence[Any]) -> _M:
    """``model(*values)`` (every concrete field's value in order, ``DEFERRED`` for one left
    unset), built as ``Model.__init__`` builds it but without its per-field ``setattr`` and
    its two signals when nobody listens to them (none does here: the bulk write sends no
    signal either) and the model keeps Django's constructor. Writing 10,000 rows builds some
    70,000 instances; this takes about a second of CPU off."""
    if (
        model.__init__ is not Model.__init__
        or signals.pre_init.receivers
        or signals.post_init.receivers
    ):
        return model(*values)
    construction = _construction(model)
    instance = Model.__new__(model)
    instance._state = ModelState()
    own = instance.__dict__
    for attname, plain, value in zip(construction.order, construction.stored, values, strict=True):
        if value is DEFERRED:
            continue
        if plain:
            own[attname] = value
        else:
            setattr(instance, attname, value)
    return instance


def _unsaved(model: type[_M], values: Mapping[str, Any], **more: Any) -> _M:
    """``model(**values, **more)``, built the way Django builds a row it reads: every concrete
    field's value in order (``Model.from_db`` does so), the missing ones their defaults, then
    the related objects set. Several times faster for a wide model; anything else (a name
    twice, a name that is no field's) goes to the constructor, which refuses it as before."""
    construction = _construction(model)
    given = {**values, **more}
    position, by_object = construction.position, construction.by_object
    if len(given) != len(values) + len(more) or not all(
        name in position or name in by_object for name in given
    ):
        return model(**values, **more)
    row = list(construction.template)
    order = construction.order
    for index, make in construction.made:
        if order[index] not in given:
            row[index] = make()
    related = []
    for name, value in given.items():
        if name in by_object:
            related.append((name, value))
        else:
            row[position[name]] = value
    instance = _constructed(model, row)
    for name, value in related:
        setattr(instance, name, value)
    return instance


def _accepts(field: Any) -> Callable[[Any], bool] | None:
    """For a field of Django's plain types, a test of the values its ``clean`` returns as they
    are without a complaint: a non-empty text (a ``str`` or a choice's member) within its
    length and among its choices, a ``bool``, a ``date``. ``None`` for any other field: its
    own ``clean`` decides. A value the test refuses goes through ``clean`` too, which names
    the problem."""
    kind = type(field)
    if kind is CountryField and not field.multiple:
        # Read as the instance keeps it (``_field_checks``): a code, checked against the set
        # of codes rather than through the field (a ``Country`` built, every name walked).
        blank = field.blank

        def country(value: Any) -> bool:
            return type(value) is str and (value in country_codes() or (blank and value == ""))

        return country
    if field.choices is not None and any(
        isinstance(label, list | tuple) for _key, label in field.choices
    ):
        return None  # grouped choices: left to ``clean``
    choices = None if field.choices is None else frozenset(key for key, _label in field.choices)
    if kind in (models.CharField, models.TextField):
        limit = field.max_length
        if any(
            not (isinstance(v, MaxLengthValidator) and v.limit_value == limit)
            for v in field.validators
        ):
            return None

        def text(value: Any) -> bool:
            return (
                (type(value) is str or isinstance(value, models.TextChoices))
                and value != ""
                and (limit is None or len(value) <= limit)
                and (choices is None or value in choices)
            )

        return text
    if kind in (models.BooleanField, models.DateField) and not field.validators and not choices:
        accepted = bool if kind is models.BooleanField else dt.date
        return lambda value: type(value) is accepted
    return None


@cache
def _field_checks(
    model: type[Model], exclude: frozenset[str]
) -> tuple[tuple[str, str, Any, Callable[[Any], bool] | None, bool], ...]:
    """Each field to check: its name, attribute name, the field, the test of the values it
    accepts as they are (``_accepts``), and whether that test reads the value as the instance
    keeps it (a country's code) rather than through the field's descriptor."""
    return tuple(
        (f.name, f.attname, f, _accepts(f), type(f) is CountryField and not f.multiple)
        for f in model._meta.fields
        if f.name not in exclude and not f.generated
    )


def _clean_fields(instance: Any, *, exclude: frozenset[str], prefix: str) -> dict[str, list[str]]:
    """The fields' own checks (types, lengths, choices) without a query: foreign keys are
    checked by the caller or the database, uniqueness by the caller, CHECK constraints by the
    rules before and by the database.

    What ``Model.clean_fields`` does, with the fields to check worked out once per model and
    the plain values most rows hold accepted without the field's ``clean`` (``_accepts``): a
    value it would refuse still goes through it, for the same message.
    """
    if type(instance).clean_fields is not Model.clean_fields:  # a model's own: as it is
        try:
            instance.clean_fields(exclude=list(exclude))
        except DjangoValidationError as exc:
            return {f"{prefix}{k}": v for k, v in django_validation_fields(exc).items()}
        return {}
    model: type[Model] = type(instance)
    errors: dict[str, Any] = {}
    stored = instance.__dict__
    for name, attname, model_field, accepts, as_kept in _field_checks(model, exclude):
        if as_kept:
            if accepts is not None and accepts(stored.get(attname)):
                continue
            raw = getattr(instance, attname)
        else:
            raw = getattr(instance, attname)
            if accepts is not None and accepts(raw):
                continue
        if model_field.blank and raw in model_field.empty_values:
            continue
        if isinstance(raw, DatabaseDefault):
            continue
        try:
            setattr(instance, attname, model_field.clean(raw, instance))
        except DjangoValidationError as exc:
            errors[name] = exc.error_list
    if not errors:
        return {}
    found = django_validation_fields(DjangoValidationError(errors))
    return {f"{prefix}{k}": v for k, v in found.items()}


def _field_errors(exc: ValidationFailed, prefix: str) -> dict[str, list[str]]:
    if exc.fields:
        return {f"{prefix}{k}": list(v) for k, v in exc.fields.items()}
    return {f"{prefix}non_field_errors".rstrip("."): [exc.detail]}


def _merge(errors: dict[str, list[str]], more: Mapping[str, list[str]]) -> None:
    for key, messages in more.items():
        errors.setdefault(key, []).extend(messages)


def _build(record: NewCaseRecord, *, is_synthetic: bool) -> tuple[_Built, dict[str, list[str]]]:
    """The unsaved rows of one record, and its problems by field (``child`` fields bare, the
    case's bare, ``whereabouts.<field>``, ``relative.<field>``, ``alias.<field>``)."""
    errors: dict[str, list[str]] = {}
    try:
        reject_unknown_fields(record.child, CHILD_FIELDS)
        reject_unknown_fields(record.case, CASE_FIELDS - {"assignee"})
    except ValidationFailed as exc:
        _merge(errors, exc.fields)
        record = NewCaseRecord(child={}, case={})
    child = _unsaved(Child, record.child, is_synthetic=is_synthetic)
    try:
        _child_prepare(child)
    except ValidationFailed as exc:
        _merge(errors, _field_errors(exc, ""))
    _merge(
        errors,
        _clean_fields(
            child,
            exclude=_CHILD_UNCHECKED,
            prefix="",
        ),
    )
    case = _unsaved(
        Case, record.case, child=child, status=Status.REPORTED, is_synthetic=is_synthetic
    )
    case_errors: dict[str, list[str]] = {}
    _not_in_future(case_errors, "deported_on", case.deported_on)
    _merge(errors, case_errors)
    if not case_errors and not errors.get("date_of_birth"):
        try:
            _check_birth_before_deportation(
                child.date_of_birth, case.deported_on, field="deported_on"
            )
        except ValidationFailed as exc:
            _merge(errors, exc.fields)
    _merge(
        errors,
        _clean_fields(
            case,
            exclude=_CASE_UNCHECKED,
            prefix="",
        ),
    )
    aliases: list[ChildAlias] = []
    for data in record.aliases:
        alias = _unsaved(ChildAlias, data, child=child)
        alias.name = names.clean_name(alias.name)
        _merge(errors, _clean_fields(alias, exclude=_CHILD_ONLY, prefix="alias."))
        aliases.append(alias)
    stays: list[Whereabouts] = []
    for data in record.whereabouts:
        try:
            reject_unknown_fields(data, WHEREABOUTS_FIELDS)
        except ValidationFailed as exc:
            _merge(errors, _field_errors(exc, "whereabouts."))
            continue
        stay = _unsaved(Whereabouts, data, child=child)
        try:
            _whereabouts_prepare(stay)
        except ValidationFailed as exc:
            _merge(errors, _field_errors(exc, "whereabouts."))
        # The country by a set of codes: the field's own check walks every country's name.
        if _country_code(stay, "country") not in country_codes():
            errors.setdefault("whereabouts.country", []).append(_("Not a country code."))
        _merge(
            errors,
            _clean_fields(
                stay,
                exclude=_WHEREABOUTS_UNCHECKED,
                prefix="whereabouts.",
            ),
        )
        stays.append(stay)
    relatives: list[Relative] = []
    for data in record.relatives:
        try:
            reject_unknown_fields(data, RELATIVE_FIELDS)
        except ValidationFailed as exc:
            _merge(errors, _field_errors(exc, "relative."))
            continue
        relative = _unsaved(Relative, data, child=child)
        try:
            _relative_prepare(relative)
        except ValidationFailed as exc:
            _merge(errors, _field_errors(exc, "relative."))
        _merge(errors, _clean_fields(relative, exclude=_CHILD_ONLY, prefix="relative."))
        relatives.append(relative)
    max_reference = ExternalReference._meta.get_field("reference").max_length or 0
    if len(record.reference) > max_reference:
        errors.setdefault("reference", []).append(
            _("At most %(limit)s characters.") % {"limit": max_reference}
        )
    return _Built(child, case, aliases, stays, relatives), errors


def _own_checks(
    records: Sequence[NewCaseRecord], *, is_synthetic: bool
) -> tuple[list[_Built], dict[int, dict[str, list[str]]]]:
    """Every record built, with its own problems (its fields and rules) by index."""
    built: list[_Built] = []
    problems: dict[int, dict[str, list[str]]] = {}
    for index, record in enumerate(records):
        rows, errors = _build(record, is_synthetic=is_synthetic)
        built.append(rows)
        if errors:
            problems[index] = errors
    return built, problems


def _reference_checks(
    records: Sequence[NewCaseRecord],
    problems: dict[int, dict[str, list[str]]],
    *,
    organization: Organization | None,
) -> None:
    """Add to ``problems`` the references given twice and (``organization`` given) those the
    organization gave a child before."""
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        if not record.reference:
            continue
        if record.reference in seen:
            problems.setdefault(index, {}).setdefault("reference", []).append(
                _("The same reference is given to another row.")
            )
        seen.setdefault(record.reference, index)
    if organization is not None and seen:
        taken = set(
            ExternalReference.objects.filter(
                InArray(F("reference"), list(seen)), organization=organization
            ).values_list("reference", flat=True)
        )
        for reference in taken:
            problems.setdefault(seen[reference], {}).setdefault("reference", []).append(
                _("The organization already gave this reference to a child.")
            )


def _check_all(
    records: Sequence[NewCaseRecord] | CheckedRecords,
    *,
    organization: Organization | None,
    is_synthetic: bool,
) -> tuple[list[_Built], dict[int, dict[str, list[str]]]]:
    """Every record built and checked (records checked before: their rows and own problems as
    found then), then the references."""
    if isinstance(records, CheckedRecords):
        built = records.take()
        problems = {
            index: {name: list(messages) for name, messages in errors.items()}
            for index, errors in records.own_problems.items()
        }
        records = records.records
    else:
        built, problems = _own_checks(records, is_synthetic=is_synthetic)
    _reference_checks(records, problems, organization=organization)
    return built, problems


def case_records_check(
    *, records: Sequence[NewCaseRecord], organization: Organization | None = None
) -> dict[int, dict[str, list[str]]]:
    """The problems of each record (by its index) that ``cases_create_many`` would refuse, found
    without writing: every record's own rules, references given twice, and (``organization``
    given) references the organization already gave a child. Records without problems are
    left out."""
    return _check_all(records, organization=organization, is_synthetic=False)[1]


def case_records_checked(*, records: Sequence[NewCaseRecord]) -> CheckedRecords:
    """What ``case_records_check`` finds without an organization (``problems``), keeping the
    rows it built for ``cases_create_many`` to write."""
    built, own = _own_checks(records, is_synthetic=False)
    return CheckedRecords(records, built, own)


def _write_name_keys(built: Sequence[_Built]) -> None:
    """The children's identity-matching keys (derived rows, not audited on their own: each
    child's create event covers them); streamed with COPY on PostgreSQL."""
    rows = (
        (b.child.pk, key)
        for b in built
        for key in sorted(
            record_name_keys(
                given_name=b.child.given_name,
                family_name=b.child.family_name,
                patronymic=b.child.patronymic,
                alias_names=[a.name for a in b.aliases],
            )
        )
    )
    if connection.vendor == "postgresql":
        table = ChildNameKey._meta.db_table
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} (child_id, key) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    ChildNameKey.objects.bulk_create(
        [ChildNameKey(child_id=child_id, key=key) for child_id, key in rows],
        batch_size=_NAME_KEY_BATCH,
    )


# Fields whose Python value psycopg writes as it is: no conversion, no stamp.
_PLAIN_FIELDS: Final = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.DateField,
    models.DecimalField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.TextField,
)


def _country_code(instance: Model, name: str) -> str:
    """A country field's code as the instance keeps it (``""``: none), read without the
    field's descriptor, which builds a ``Country`` (translations looked up) at every read."""
    return str(instance.__dict__.get(name) or "")


def _copy_value(field: Any) -> Callable[[Any], Any]:
    """What Django would save of a field not of the plain types above (``pre_save`` stamps
    ``auto_now`` fields, a country field converts). A time field's aware value (a stamp's, or
    one a service set) or ``None`` is saved as it is: PostgreSQL takes it unconverted; a
    country field's code as the instance keeps it (what its ``pre_save`` gives back)."""

    def prepared(instance: Any) -> Any:
        return field.get_db_prep_save(field.pre_save(instance, add=True), connection)

    if isinstance(field, CountryField) and not field.multiple:
        attname = field.attname

        def code(instance: Any) -> Any:
            stored = instance.__dict__
            return stored[attname] if attname in stored else prepared(instance)

        return code

    if type(field) is not models.DateTimeField:
        return prepared

    def moment(instance: Any) -> Any:
        value = field.pre_save(instance, add=True)
        if value is None or (type(value) is dt.datetime and value.utcoffset() is not None):
            return value
        return field.get_db_prep_save(value, connection)  # naive, or not a datetime

    return moment


def _is_plain(field: Any) -> bool:
    """A field of the plain types above (exactly those: a subclass may convert), unstamped."""
    stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return type(field) in _PLAIN_FIELDS and not stamped


@cache
def _copy_layout(model: type[Model]) -> tuple[list[str], Callable[[Any], tuple[Any, ...]]]:
    """How ``COPY`` reads an instance of ``model``: the columns, and the row of one instance
    (the attributes of the plain fields read together, then each other field's saved value)."""
    fields = list(model._meta.concrete_fields)
    plain = [f for f in fields if _is_plain(f)]
    others = [f for f in fields if not _is_plain(f)]
    names = [f.attname for f in plain]
    # The plain values in one call (a tuple: attrgetter of two names or more).
    read_plain = attrgetter(*names) if len(names) > 1 else lambda i: (getattr(i, names[0]),)
    prepared = [_copy_value(f) for f in others]

    def row(instance: Any) -> tuple[Any, ...]:
        values: tuple[Any, ...] = read_plain(instance)
        return (*values, *(value(instance) for value in prepared)) if prepared else values

    return [str(f.column) for f in (*plain, *others)], row


def _ids_drawn(model: type[Model], rows: Sequence[Any]) -> None:
    """Give ``rows`` their ids from the table's sequence (PostgreSQL), before they are copied:
    rows that point at each other can be given their pointers first (the foreign keys are
    checked at the commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for instance, pk in zip(rows, ids, strict=True):
        instance.pk = pk


def _inserted(
    model: type[Model],
    rows: Sequence[Any],
    *,
    actor: Actor,
    metadata: Mapping[str, Any],
    ids_drawn: bool = False,
) -> None:
    """Insert ``rows`` of ``model`` with one ``create`` event each, as the audited
    ``bulk_create`` records them. On PostgreSQL the ids are drawn from the table's sequence
    first (unless ``ids_drawn``: ``_ids_drawn`` gave them) and the rows streamed with ``COPY``
    (several times faster than an ``INSERT`` of thousands of rows); elsewhere,
    ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.audit_as(  # type: ignore[attr-defined]
            actor=actor, metadata=metadata
        ).bulk_create(rows)
        return
    if not ids_drawn:
        _ids_drawn(model, rows)
    table = model._meta.db_table
    columns, row_of = _copy_layout(model)
    alias = connection.alias
    for instance in rows:
        state = instance._state
        state.adding = False
        state.db = alias
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for instance in rows:
                copy.write_row(row_of(instance))
    audit.record_creations(rows, actor=actor, metadata=metadata, at=timezone.now())


def _latest_stay(stays: Sequence[Whereabouts]) -> Whereabouts:
    """A record's current whereabouts among its stays: the latest by start date, the last
    given on a tie (the services' order: start date, then id, and ids follow the list)."""
    return max(enumerate(stays), key=lambda stay: (stay[1].from_date, stay[0]))[1]


def _current_whereabouts_drawn(built: Sequence[_Built]) -> bool:
    """On PostgreSQL, give the children and their stays their ids now and each child its
    current whereabouts (the latest stay by start date, as the services keep it), so the
    children are written with the pointer instead of updated after. ``False`` elsewhere."""
    if connection.vendor != "postgresql":
        return False
    _ids_drawn(Child, [b.child for b in built])
    stays = []
    for b in built:
        for stay in b.whereabouts:
            stay.child = b.child
            stays.append(stay)
    if stays:
        _ids_drawn(Whereabouts, stays)
    for b in built:
        if b.whereabouts:
            b.child.current_whereabouts = _latest_stay(b.whereabouts)
    return True


@transaction.atomic
def cases_create_many(
    *,
    actor: Actor,
    records: Sequence[NewCaseRecord] | CheckedRecords,
    organization: Organization | None = None,
    is_synthetic: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> list[Case]:
    """Open one case for each record's new child, all or none; returns the cases in order.

    The cases belong to ``organization`` (where the actor may open cases, as for
    ``case_create``). Refused with every record's problems (``ValidationFailed``, fields named
    ``<index>.<field>``) before anything is written. Each row written (child, case, first status
    change, alias, whereabouts, relative, external reference) has its ``create`` event, with
    ``metadata`` (say, the import it came from). ``records`` checked before
    (``case_records_checked``) are written as built then, their references checked again.
    """
    if isinstance(records, CheckedRecords) and is_synthetic:
        raise ValueError("Checked records are written as checked: not synthetic.")
    organization = _creating_organization(actor, organization)
    built, problems = _check_all(records, organization=organization, is_synthetic=is_synthetic)
    if problems:
        raise ValidationFailed(
            _("Some records are not valid."),
            fields={
                f"{index}.{name}": messages
                for index, errors in sorted(problems.items())
                for name, messages in errors.items()
            },
        )
    if not records:
        return []
    if isinstance(records, CheckedRecords):
        records = records.records
    now = timezone.now()
    metadata = dict(metadata or {})

    children = [b.child for b in built]
    for b in built:
        if b.aliases:
            # The search keys cover the aliases written with the child.
            b.child.search_text = names.search_text(
                [
                    b.child.given_name,
                    b.child.family_name,
                    b.child.patronymic,
                    *(a.name for a in b.aliases),
                ]
            )
    pointers_drawn = _current_whereabouts_drawn(built)
    # The children's search keys and the cases' numbers go to the trigram indexes' pending
    # lists, merged by a worker after the commit.
    search_merge_deferred(rows=len(built))
    _inserted(Child, children, actor=actor, metadata=metadata, ids_drawn=pointers_drawn)
    _write_name_keys(built)

    numbers = case_numbers_allocate(year=timezone.localdate(now).year, count=len(built))
    cases = []
    for b, number in zip(built, numbers, strict=True):
        b.case.child = b.child  # again: the child has its id now
        b.case.organization = organization
        b.case.created_by = actor
        b.case.number = number
        b.case.status_changed_at = now
        if b.whereabouts:
            # The child's current country on its case (``Case.current_country``): the latest
            # stay by start date, the last given on a tie (its id is the highest).
            b.case.current_country = _country_code(_latest_stay(b.whereabouts), "country")
        cases.append(b.case)
    _inserted(Case, cases, actor=actor, metadata=metadata)
    reason = _("Case opened.")
    _inserted(
        StatusChange,
        [
            _unsaved(
                StatusChange,
                {
                    "from_status": "",
                    "to_status": Status.REPORTED,
                    "changed_at": now,
                    "reason": reason,
                    "case_version": case.version,
                },
                case=case,
                actor=actor,
            )
            for case in cases
        ],
        actor=actor,
        metadata=metadata,
    )
    for b in built:  # the sub-records point at the child, which has its id now
        for alias in b.aliases:
            alias.child = b.child
        for stay in b.whereabouts:
            stay.child = b.child
        for relative in b.relatives:
            relative.child = b.child

    _inserted(ChildAlias, [a for b in built for a in b.aliases], actor=actor, metadata=metadata)
    stays = [s for b in built for s in b.whereabouts]
    for stay in stays:
        stay.recorded_by = actor
    if stays and pointers_drawn:
        _inserted(Whereabouts, stays, actor=actor, metadata=metadata, ids_drawn=True)
    elif stays:
        _inserted(Whereabouts, stays, actor=actor, metadata=metadata)
        # The current whereabouts: the latest stay by start date, as the services keep it.
        latest = (
            Whereabouts.objects.filter(child=OuterRef("pk"))
            .order_by("-from_date", "-id")
            .values("pk")[:1]
        )
        Child.objects.filter(pk__in=[b.child.pk for b in built if b.whereabouts]).unaudited_update(
            "derived pointer; the whereabouts' own event records the change",
            current_whereabouts=Subquery(latest),
        )
        for b in built:  # and on the instances returned, as the single services do
            if b.whereabouts:
                b.child.current_whereabouts = _latest_stay(b.whereabouts)
    _inserted(Relative, [r for b in built for r in b.relatives], actor=actor, metadata=metadata)
    references = [
        _unsaved(
            ExternalReference,
            {"reference": record.reference},
            organization=organization,
            child=b.child,
        )
        for b, record in zip(built, records, strict=True)
        if record.reference
    ]
    _inserted(ExternalReference, references, actor=actor, metadata=metadata)
    return cases
