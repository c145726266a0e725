"""The bulk write's field checks (``_clean_fields``) are Django's ``clean_fields``: the same
problems in the same words, the same values kept, while most values skip the field's
``clean``."""

from __future__ import annotations

import copy
import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import DEFERRED, Model, signals
from django.utils import timezone
from django_countries.fields import Country, CountryField

from cases.models import Case, Child, DatePrecision, Relative, Sex, Whereabouts
from cases.services import bulk
from cases.services.checks import _not_in_future
from core.errors import django_validation_fields
from tests.factories.cases import child_data


def _child(**values: Any) -> Child:
    return Child(**{**child_data(), **values})


def _relative(**values: Any) -> Relative:
    data = {"relationship": "mother", "given_name": "Марія", "family_name": "Тестова"}
    return Relative(**{**data, **values})


def _stay(**values: Any) -> Whereabouts:
    data = {"country": "RU", "from_date": dt.date(2022, 7, 1), "source_description": "synthetic"}
    return Whereabouts(**{**data, **values})


def _django_checks(instance: Model, exclude: frozenset[str]) -> dict[str, list[str]]:
    try:
        instance.clean_fields(exclude=list(exclude))
    except DjangoValidationError as exc:
        return {f"x.{name}": messages for name, messages in django_validation_fields(exc).items()}
    return {}


def _values(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.parametrize(
    ("instance", "exclude"),
    [
        (_child(), bulk._CHILD_UNCHECKED),
        (_child(sex=Sex.MALE, date_of_birth_precision=DatePrecision.YEAR), bulk._CHILD_UNCHECKED),
        (_child(given_name="", family_name="Я" * 300), bulk._CHILD_UNCHECKED),
        (_child(sex="x", date_of_birth_precision="roughly"), bulk._CHILD_UNCHECKED),
        (_child(date_of_birth="2013-02-03", is_synthetic="maybe"), bulk._CHILD_UNCHECKED),
        (_child(date_of_birth="2013-02-30", origin_latitude="north"), bulk._CHILD_UNCHECKED),
        (_child(date_of_birth=dt.datetime(2013, 2, 3, tzinfo=dt.UTC)), bulk._CHILD_UNCHECKED),
        (_child(patronymic=None, distinguishing_notes=""), bulk._CHILD_UNCHECKED),
        (_relative(), bulk._CHILD_ONLY),
        (_relative(email="not an address", relationship="stranger"), bulk._CHILD_ONLY),
        (_relative(phone="1" * 100, is_searching=None), bulk._CHILD_ONLY),
        (_stay(), bulk._WHEREABOUTS_UNCHECKED),
        (_stay(from_date=None, settlement="С" * 500, to_date="soon"), bulk._WHEREABOUTS_UNCHECKED),
    ],
)
def test_clean_fields_finds_what_django_finds(instance: Model, exclude: frozenset[str]):
    theirs = copy.deepcopy(instance)
    expected = _django_checks(theirs, exclude)
    assert bulk._clean_fields(instance, exclude=exclude, prefix="x.") == expected
    assert _values(instance) == _values(theirs)  # and the values converted alike


def test_clean_fields_accepts_plain_values_without_the_fields_clean(monkeypatch):
    """The fast path is taken: a valid child's text, choices, date and flag skip ``clean``."""
    cleaned: list[str] = []
    original = type(Child._meta.get_field("given_name")).clean

    def counting(self: Any, value: Any, instance: Any) -> Any:
        cleaned.append(self.name)
        return original(self, value, instance)

    for field in Child._meta.fields:
        monkeypatch.setattr(type(field), "clean", counting)
    child = _child(sex=Sex.MALE, distinguishing_notes="шрам", is_synthetic=True)
    assert bulk._clean_fields(child, exclude=bulk._CHILD_UNCHECKED, prefix="") == {}
    assert cleaned == []
    child.sex = "x"
    assert set(bulk._clean_fields(child, exclude=bulk._CHILD_UNCHECKED, prefix="")) == {"sex"}
    assert cleaned == ["sex"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "values", "more"),
    [
        (Child, child_data(), {"is_synthetic": True}),
        (Child, {"given_name": "Ярина", "origin_oblast_id": "UA-14"}, {}),
        (Whereabouts, {"country": "RU", "from_date": dt.date(2022, 7, 1)}, {}),
        (Relative, {"relationship": "mother", "is_searching": True}, {}),
    ],
)
def test_unsaved_builds_what_the_constructor_builds(
    oblasts: Any, model: type[Model], values: dict[str, Any], more: dict[str, Any]
):
    """Built field by field in order, an instance has the constructor's values and defaults,
    and its related objects (a child, an oblast) set as the constructor sets them."""
    related: dict[str, Any] = {}
    if model is not Child:
        related["child"] = _child()
    elif "origin_oblast_id" not in values:
        related["origin_oblast"] = oblasts["UA-14"]
    built = bulk._unsaved(model, values, **more, **related)
    expected = model(**values, **more, **related)
    assert type(built) is model
    assert _values(built) == _values(expected)
    for name, value in related.items():
        assert getattr(built, name) is value
    assert built._state.adding
    assert built._state.db == expected._state.db


def test_unsaved_leaves_a_name_twice_or_unknown_to_the_constructor():
    with pytest.raises(TypeError):
        bulk._unsaved(Relative, {"child": _child(), "given_name": "Марія"}, child=_child())
    with pytest.raises(TypeError):
        bulk._unsaved(Relative, {"nickname": "Маша"})


def _defaults(model: type[Model]) -> list[Any]:
    """Each concrete field's default, in order, as ``_unsaved`` fills a row."""
    construction = bulk._construction(model)
    row = list(construction.template)
    for index, make in construction.made:
        row[index] = make()
    return row


@pytest.mark.parametrize("model", [Child, Whereabouts, Relative, Case])
def test_constructed_is_what_the_constructor_builds(model: type[Model]):
    """Without the constructor, an instance holds exactly what ``model(*values)`` holds: its
    ``__dict__`` (a country's code as the field's descriptor keeps it, a deferred field left
    out) and a new instance's state."""
    values = _defaults(model)
    for index, name in enumerate(bulk._construction(model).order):
        if name == "country":
            values[index] = Country("RU")  # the descriptor keeps the code
        elif name == "id":
            values[index] = DEFERRED
    built = bulk._constructed(model, values)
    expected = model(*values)
    assert type(built) is model
    assert {k: v for k, v in vars(built).items() if k != "_state"} == {
        k: v for k, v in vars(expected).items() if k != "_state"
    }
    assert "id" not in vars(built)
    assert built._state.adding
    assert built._state.db is None


def test_constructed_sends_the_signals_when_someone_listens():
    """A receiver of ``pre_init`` or ``post_init`` gets what the constructor sends it."""
    heard: list[Model] = []

    def listening(sender: Any, instance: Model, **kwargs: Any) -> None:
        heard.append(instance)

    signals.post_init.connect(listening, sender=Relative)
    try:
        values = _defaults(Relative)
        built = bulk._constructed(Relative, values)
    finally:
        signals.post_init.disconnect(listening, sender=Relative)
    assert heard == [built]


@pytest.mark.parametrize("country", ["RU", "", Country("BY")], ids=["code", "none", "country"])
def test_a_country_is_copied_and_checked_as_the_field_saves_it(country: Any):
    """The bulk write reads a country field's code as the instance keeps it, not through its
    descriptor: the value ``COPY`` sends is the one Django would save, and the code the
    rules check is the field's."""
    stay = _stay(country=country)
    case = Case(current_country=country)
    for instance, name in ((stay, "country"), (case, "current_country")):
        model_field = instance._meta.get_field(name)
        assert isinstance(model_field, CountryField)
        columns, row_of = bulk._copy_layout(type(instance))
        copied = dict(zip(columns, row_of(instance), strict=True))[str(model_field.column)]
        saved = model_field.get_db_prep_save(model_field.pre_save(instance, add=True), connection)
        assert copied == saved == str(getattr(country, "code", country))
        assert bulk._country_code(instance, name) == saved


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Europe/Kyiv", "UTC", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("days", [-3, -2, -1, 0, 1, 2])
def test_not_in_future_is_the_registrys_today_in_any_time_zone(zone: str, days: int):
    """Dates well before today skip the time zone's today: the outcome is the same."""
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        value = timezone.now().date() + dt.timedelta(days=days)
        errors: dict[str, list[str]] = {}
        _not_in_future(errors, "date_of_birth", value)
        assert bool(errors) is (value > timezone.localdate())


def test_a_country_code_is_checked_without_the_field_unless_refused(monkeypatch: Any):
    """A known code (or none, where the field may be blank) passes without the field's own
    check; any other value goes through it, as before."""
    checked: list[Any] = []
    original = CountryField.clean

    def counting(self: Any, value: Any, instance: Any) -> Any:
        checked.append(value)
        return original(self, value, instance)

    monkeypatch.setattr(CountryField, "clean", counting)
    for code in ("RU", ""):
        case = Case(current_country=code)
        assert "current_country" not in bulk._clean_fields(
            case, exclude=bulk._CASE_UNCHECKED, prefix=""
        )
    assert checked == []
    bulk._clean_fields(Case(current_country="XX"), exclude=bulk._CASE_UNCHECKED, prefix="")
    assert [str(value) for value in checked] == ["XX"]
