"""Demo cases written through the services, and the places and name forms made-up data uses.

- ``demo_cases_load``: synthetic demo cases made with Faker's ``uk_UA`` locale, written through the
  same services caseworkers use. Each demo record has a stable index, so re-running with the same
  count leaves the same cases and a larger count adds only the difference.
- ``demo_organizations_load``: the two synthetic organizations that own demo and synthetic cases.
- ``origin_places``, ``destination_places``, ``oblast_weights``, ``russified``: where made-up
  children come from and are taken to, and how records abroad spell their names (shared with the
  bulk generator, ``demo.synthetic``).

All demo data is made up: names come from Faker, contacts use a non-existent phone prefix
(``+380 00``) and ``example.org``. The reference data these need (oblasts, facilities) is loaded
by ``load_seeds``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from faker import Faker
from names_translator.dicts import default_dicts

from accounts.models import Organization
from accounts.services import organization_create
from cases import services, workflow
from cases.models import (
    AliasKind,
    Case,
    Child,
    DatePrecision,
    Facility,
    FollowUpOutcome,
    Oblast,
    ParentalCare,
    Pathway,
    Priority,
    Relationship,
    ServiceKind,
    ServiceStatus,
    Sex,
    ShareScope,
)
from cases.workflow import ClosureReason, Status
from core.seeds import SeedCounts, read_seed


# ---------------------------------------------------------------------------------------------
# Places used by demo and synthetic data
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """A settlement with approximate (settlement-level) coordinates."""

    country: str
    region: str
    settlement: str
    latitude: Decimal
    longitude: Decimal
    weight: int = 1

    def location(self) -> dict[str, Any]:
        """The place as the location fields of a whereabouts record."""
        return {
            "country": self.country,
            "region": self.region,
            "settlement": self.settlement,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


def origin_places() -> dict[str, list[Place]]:
    """Settlements of origin by oblast code, from ``seeds/settlements.json``."""
    places: dict[str, list[Place]] = {}
    for row in read_seed("settlements.json"):
        places[row["oblast"]] = [
            Place(
                country="UA",
                region=row["oblast"],
                settlement=s["name"],
                latitude=Decimal(s["latitude"]),
                longitude=Decimal(s["longitude"]),
                weight=row["weight"],
            )
            for s in row["settlements"]
        ]
    return places


def oblast_weights() -> dict[str, int]:
    """How often each oblast appears in made-up data (occupied and frontline oblasts most)."""
    return {row["oblast"]: row["weight"] for row in read_seed("settlements.json")}


def destination_places() -> list[Place]:
    """Places children are reported taken to, from ``seeds/destinations.json``."""
    return [
        Place(
            country=row["country"],
            region=row["region"],
            settlement=row["settlement"],
            latitude=Decimal(row["latitude"]),
            longitude=Decimal(row["longitude"]),
            weight=row["weight"],
        )
        for row in read_seed("destinations.json")
    ]


def russified(name: str, category: str) -> str:
    """The Russian rendering of a Ukrainian name word, as records abroad tend to write it.

    Uses the ``names_translator`` dictionaries (Олександр → Александр); a word they do not know
    gets the letter-level changes a Russian clerk would make (і → и, є → е, ї → и, ґ → г).
    """
    for candidate in default_dicts().lookup(name, category):
        if candidate != name:
            return str(candidate)
    table = str.maketrans({"і": "и", "І": "И", "ї": "и", "Ї": "И", "є": "е", "Є": "Е", "ґ": "г"})
    return name.translate(table).replace("ʼ", "ь")


def facility_by_latin_name(name_latin: str) -> Facility | None:
    return Facility.objects.filter(name_latin=name_latin).order_by("id").first()


# ---------------------------------------------------------------------------------------------
# Demo cases
# ---------------------------------------------------------------------------------------------
DEMO_SEED = 20220224
DEMO_NOTE = "Synthetic demo record {index:04d}: not a real child."
_DEMO_NOTE_RE = re.compile(r"^Synthetic demo record (\d{4,}):")

FORWARD = workflow.FORWARD_PATH
RETURNED_STATUSES = frozenset({Status.RETURNED, Status.REHABILITATION, Status.INTEGRATION})

# Demo records cycle through these so any count above a dozen shows every status and phase.
_DEMO_STATUS_CYCLE: tuple[str, ...] = (
    Status.SEARCHING,
    Status.REPORTED,
    Status.LOCATED,
    Status.VERIFYING,
    Status.RETURNED,
    Status.RETURN_IN_PROGRESS,
    Status.REHABILITATION,
    Status.SEARCHING,
    Status.INTEGRATION,
    Status.CLOSED,
    Status.LOCATED,
    Status.CLOSED,
)
# Closed demo cases take these reasons in turn: about half end with the child integrated at home.
_DEMO_CLOSURES: tuple[str, ...] = (
    ClosureReason.INTEGRATED,
    ClosureReason.DUPLICATE,
    ClosureReason.INTEGRATED,
    ClosureReason.ADULTHOOD_ABROAD,
    ClosureReason.INTEGRATED,
    ClosureReason.NOT_DEPORTATION,
    ClosureReason.TRANSFERRED,
)
_DEMO_SOURCES: tuple[str, ...] = (
    "Synthetic demo source: statement of a relative.",
    "Synthetic demo source: listing on a Russian adoption database.",
    "Synthetic demo source: media report.",
    "Synthetic demo source: photograph published by a regional official.",
    "Synthetic demo source: testimony of a returned child.",
)
_CIRCUMSTANCES: dict[str, str] = {
    Pathway.FROM_INSTITUTION: "taken with other children from an institution.",
    Pathway.SEPARATED_FROM_FAMILY: "separated from the family at a checkpoint.",
    Pathway.TEMPORARY_CAMP: 'sent to a "recreation" camp and not brought back.',
    Pathway.AFTER_FILTRATION: "taken after the family went through filtration.",
    Pathway.OTHER: "circumstances under verification.",
    Pathway.UNKNOWN: "circumstances not yet known.",
}


def demo_organizations_load() -> dict[str, Organization]:
    """The two synthetic demo organizations (an authority that owns most demo cases and a
    partner NGO), by their key in ``seeds/demo_organizations.json``. Idempotent."""
    found: dict[str, Organization] = {}
    for row in read_seed("demo_organizations.json"):
        organization = Organization.objects.filter(name=row["name"]).first()
        if organization is None:
            organization = organization_create(
                name=row["name"],
                short_name=row["short_name"],
                kind=row["kind"],
                country=row["country"],
            )
        found[row["key"]] = organization
    return found


def demo_indexes_present() -> set[int]:
    """Indexes of the demo records already in the registry."""
    notes = Child.objects.filter(
        is_synthetic=True, distinguishing_notes__startswith="Synthetic demo record "
    ).values_list("distinguishing_notes", flat=True)
    return {int(m.group(1)) for note in notes if (m := _DEMO_NOTE_RE.match(note))}


def demo_cases_load(*, count: int) -> SeedCounts:
    """Make sure demo records 0 to ``count - 1`` exist; returns what was created.

    Each record is written whole in its own transaction: its follow-ups are scheduled and the
    due ones completed inside it (not left to a worker that may not run yet), so a failure
    leaves no half-made case. Needs the oblasts and facilities loaded first.
    """
    counts = SeedCounts()
    present = demo_indexes_present()
    fake = Faker("uk_UA")
    builder = _DemoBuilder(fake=fake, organizations=demo_organizations_load())
    for index in range(count):
        if index in present:
            counts.unchanged += 1
            continue
        with transaction.atomic():
            case = builder.build(index)
            builder.share(index, case)
            if case.returned_on is not None:
                services.case_follow_ups_schedule(case_id=case.pk)
            builder.complete_due_follow_ups(case)
        counts.created += 1
    return counts


@dataclass
class _Scenario:
    status: str
    path: list[str]
    closure_reason: str = ""


class _DemoBuilder:
    """Writes one demo case and everything around it through the services."""

    def __init__(self, *, fake: Faker, organizations: dict[str, Organization]) -> None:
        self.fake = fake
        self.authority = organizations["authority"]
        self.partner = organizations["partner"]
        self.today = services.today()
        self.oblasts = {o.code: o for o in Oblast.objects.all()}
        self.origins = origin_places()
        self.weights = oblast_weights()
        self.destinations = destination_places()
        self.facilities = list(Facility.objects.exclude(country="UA", region="Kherson Oblast"))
        if not self.oblasts:
            raise RuntimeError("Load the oblasts before the demo cases (load_seeds does).")

    # -- choices ------------------------------------------------------------------------------
    def _scenario(self, index: int, rng: random.Random) -> _Scenario:
        status = _DEMO_STATUS_CYCLE[index % len(_DEMO_STATUS_CYCLE)]
        if status == Status.CLOSED:
            cycle, position = divmod(index, len(_DEMO_STATUS_CYCLE))
            closed_before = _DEMO_STATUS_CYCLE[:position].count(Status.CLOSED)
            occurrence = cycle * _DEMO_STATUS_CYCLE.count(Status.CLOSED) + closed_before
            reason = _DEMO_CLOSURES[occurrence % len(_DEMO_CLOSURES)]
            if reason == ClosureReason.INTEGRATED:
                return _Scenario(status, [*FORWARD[1:], Status.CLOSED], reason)
            return _Scenario(status, [*FORWARD[1 : rng.randint(1, 4)], Status.CLOSED], reason)
        path = list(FORWARD[1 : FORWARD.index(status) + 1])
        if status == Status.SEARCHING and index % 3 == 0:
            # The trail went cold once: located, then back to searching.
            path += [Status.LOCATED, Status.SEARCHING]
        return _Scenario(status, path)

    def _date_between(self, rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
        end = max(start, min(end, self.today))
        return start + dt.timedelta(days=rng.randint(0, (end - start).days))

    def _names(self, sex: str) -> dict[str, str]:
        if sex == Sex.MALE:
            return {
                "given_name": self.fake.first_name_male(),
                "family_name": self.fake.last_name_male(),
                "patronymic": self.fake.middle_name_male(),
            }
        return {
            "given_name": self.fake.first_name_female(),
            "family_name": self.fake.last_name_female(),
            "patronymic": self.fake.middle_name_female(),
        }

    # -- one case -----------------------------------------------------------------------------
    def build(self, index: int) -> Case:
        self.fake.seed_instance(DEMO_SEED + index)
        rng = random.Random(DEMO_SEED + index)  # made-up data, not security
        if index == 0:
            return self._camp_abroad(index, rng, oblast="UA-14")
        if index == 1:
            return self._camp_abroad(index, rng, oblast="UA-43")
        return self._ordinary(index, rng)

    def _ordinary(self, index: int, rng: random.Random) -> Case:
        scenario = self._scenario(index, rng)
        codes = list(self.weights)
        code = rng.choices(codes, weights=[self.weights[c] for c in codes])[0]
        origin = rng.choice(self.origins[code])
        sex = rng.choice([Sex.MALE, Sex.FEMALE])
        deported_on = self._date_between(rng, dt.date(2022, 2, 24), self.today - dt.timedelta(400))
        age = rng.randint(2, 16)
        born = deported_on - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        precision = rng.choice(
            [DatePrecision.EXACT, DatePrecision.EXACT, DatePrecision.EXACT, DatePrecision.YEAR]
        )
        if precision == DatePrecision.YEAR:
            born = born.replace(month=1, day=1)
        pathway = list(Pathway.values)[index % len(Pathway.values)]
        child_data: dict[str, Any] = {
            **self._names(sex),
            "sex": sex,
            "date_of_birth": born,
            "date_of_birth_precision": precision,
            "origin_oblast": self.oblasts[code],
            "origin_settlement": origin.settlement,
            "parental_care": (
                ParentalCare.INSTITUTION
                if pathway == Pathway.FROM_INSTITUTION
                else rng.choice(list(ParentalCare.values))
            ),
        }
        if index % 4 != 3:  # most children have coordinates for their place of origin
            child_data["origin_latitude"] = origin.latitude
            child_data["origin_longitude"] = origin.longitude
        case_data = {
            "priority": list(Priority.values)[index % len(Priority.values)],
            "pathway": pathway,
            "deported_on": deported_on,
            "deported_from": origin.settlement,
            "circumstances": "Synthetic demo case: " + _CIRCUMSTANCES[pathway],
            "russian_citizenship_imposed": rng.random() < 0.4,
            "under_russian_guardianship": rng.random() < 0.25,
            "adopted_in_russia": rng.random() < 0.08,
            "listed_in_adoption_database": rng.random() < 0.2,
        }
        case = self._open(index, child_data, case_data, rng)

        # Where the child was taken: a seeded facility now and then, otherwise a settlement.
        first_from = self._date_between(
            rng, deported_on, deported_on + dt.timedelta(days=rng.randint(1, 20))
        )
        if self.facilities and index % 5 == 2:
            self._whereabouts(case, rng, first_from, facility=rng.choice(self.facilities))
        else:
            self._whereabouts(case, rng, first_from, place=self._destination(rng))
        returned_on = None
        if (
            scenario.status in RETURNED_STATUSES
            or scenario.closure_reason == ClosureReason.INTEGRATED
        ):
            returned_on = self._date_between(
                rng, first_from + dt.timedelta(days=60), self.today - dt.timedelta(days=200)
            )
        elif index % 2 == 0:
            moved_on = self._date_between(
                rng, first_from + dt.timedelta(days=30), self.today - dt.timedelta(days=10)
            )
            self._whereabouts(case, rng, moved_on, place=self._destination(rng))

        self._relatives(case, rng, searching=scenario.status != Status.CLOSED)
        case = self._walk(case, scenario, returned_on=returned_on)
        if returned_on is not None:
            home = Place(
                country="UA",
                region=self.oblasts[code].name_en,
                settlement=origin.settlement,
                latitude=origin.latitude,
                longitude=origin.longitude,
            )
            self._whereabouts(case, rng, returned_on, place=home, source="caseworker visit")
            self._services(case, rng, returned_on, scenario)
        return case

    def _camp_abroad(self, index: int, rng: random.Random, *, oblast: str) -> Case:
        """A child sent from an occupied city to the camp in North Korea that public reporting
        names, as a demo of a case far from home. Only the route follows the reporting: the
        child's sex, age, dates and family are drawn at random, so no demo record matches a
        reported child."""
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        summer = self.today.year - rng.randint(1, 3)
        sent_on = min(dt.date(summer, rng.randint(6, 8), rng.randint(1, 28)), self.today)
        # From Crimea, first to a camp there, then abroad.
        via_crimea = oblast == "UA-43"
        taken_on = sent_on - dt.timedelta(days=rng.randint(20, 60)) if via_crimea else sent_on
        origin = self.origins[oblast][0]  # the oblast's main city: no village to single out
        child_data: dict[str, Any] = {
            **self._names(sex),
            "sex": sex,
            "date_of_birth": dt.date(sent_on.year - rng.randint(8, 16), 1, 1),
            "date_of_birth_precision": DatePrecision.YEAR,
            "origin_oblast": self.oblasts[oblast],
            "origin_settlement": origin.settlement,
            "origin_latitude": origin.latitude,
            "origin_longitude": origin.longitude,
            "parental_care": rng.choice([ParentalCare.ONE_PARENT, ParentalCare.BOTH_PARENTS]),
        }
        case_data = {
            "priority": rng.choice([Priority.URGENT, Priority.HIGH]),
            "pathway": Pathway.TEMPORARY_CAMP,
            "deported_on": taken_on,
            "deported_from": origin.settlement,
            "circumstances": "Synthetic demo case: sent from occupied territory to a camp in "
            "North Korea through a Russian youth programme.",
            "russian_citizenship_imposed": True,
        }
        case = self._open(index, child_data, case_data, rng)
        artek = facility_by_latin_name("Artek International Children's Centre")
        songdowon = facility_by_latin_name("Songdowon International Children's Camp")
        if via_crimea and artek is not None:
            self._whereabouts(
                case, rng, taken_on, facility=artek, to_date=sent_on - dt.timedelta(days=1)
            )
        if songdowon is not None:
            self._whereabouts(case, rng, sent_on, facility=songdowon, source="media report")
        self._relatives(case, rng, searching=True)
        # One is located; the other still searched for.
        if via_crimea:
            return self._walk(case, _Scenario(Status.SEARCHING, list(FORWARD[1:3])))
        return self._walk(case, _Scenario(Status.LOCATED, list(FORWARD[1:4])))

    # -- pieces -------------------------------------------------------------------------------
    def _open(
        self,
        index: int,
        child_data: dict[str, Any],
        case_data: dict[str, Any],
        rng: random.Random,
    ) -> Case:
        child_data["distinguishing_notes"] = DEMO_NOTE.format(index=index)
        aliases: list[dict[str, str]] = []
        if index % 2 == 0:
            alias = " ".join(
                russified(child_data[field], category)
                for field, category in (
                    ("family_name", "last"),
                    ("given_name", "first"),
                    ("patronymic", "patronymic"),
                )
            )
            full = " ".join(child_data[f] for f in ("family_name", "given_name", "patronymic"))
            if alias != full:
                aliases.append(
                    {
                        "name": alias,
                        "kind": AliasKind.RUSSIFIED,
                        "seen_in": "Synthetic demo: Russian regional adoption database listing",
                    }
                )
        return services.case_create(
            actor=None,
            child_data=child_data,
            data=case_data,
            aliases=aliases,
            organization=self.owner(index),
            is_synthetic=True,
            # Made up, and alike on purpose at times: no second look is wanted.
            candidates_checked=True,
        )

    def owner(self, index: int) -> Organization:
        """Every fifth demo case was submitted by the partner; the authority owns the rest."""
        return self.partner if index % 5 == 4 else self.authority

    def share(self, index: int, case: Case) -> None:
        """The authority shares some of its cases with the partner: a few in full, more with
        the limited scope, so the demo shows both."""
        if case.organization_id != self.authority.pk or index % 3 == 2:
            return
        services.case_share_create(
            case=case,
            actor=None,
            organization=self.partner,
            scope=ShareScope.FULL if index % 6 == 0 else ShareScope.LIMITED,
            reason="Synthetic demo: referral for a search abroad.",
            consent_reference=f"DEMO-CONSENT-{index:04d}",
        )

    def _destination(self, rng: random.Random) -> Place:
        return rng.choices(self.destinations, weights=[p.weight for p in self.destinations])[0]

    def _whereabouts(
        self,
        case: Case,
        rng: random.Random,
        from_date: dt.date,
        *,
        place: Place | None = None,
        facility: Facility | None = None,
        to_date: dt.date | None = None,
        source: str = "",
    ) -> None:
        data: dict[str, Any] = {
            "from_date": min(from_date, self.today),
            "source_description": (
                f"Synthetic demo source: {source}." if source else rng.choice(_DEMO_SOURCES)
            ),
        }
        if to_date is not None:
            data["to_date"] = min(to_date, self.today)
        if facility is not None:
            data["facility"] = facility
        elif place is not None:
            data.update(place.location())
        # An earlier stay ends the day before the next one starts.
        previous = (
            case.child.whereabouts.filter(to_date__isnull=True).order_by("-from_date").first()
        )
        if previous is not None and previous.from_date < data["from_date"]:
            services.whereabouts_update(
                whereabouts=previous,
                actor=None,
                data={"to_date": data["from_date"] - dt.timedelta(days=1)},
            )
        services.whereabouts_record(child=case.child, actor=None, data=data)

    def _relatives(self, case: Case, rng: random.Random, *, searching: bool) -> None:
        child = case.child
        kinds: Iterable[str] = rng.choice(
            [
                (Relationship.MOTHER,),
                (Relationship.MOTHER, Relationship.GRANDPARENT),
                (Relationship.FATHER,),
                (Relationship.GRANDPARENT,),
                (Relationship.AUNT_UNCLE, Relationship.SIBLING),
            ]
        )
        for number, relationship in enumerate(kinds):
            female = relationship == Relationship.MOTHER or (
                relationship != Relationship.FATHER and rng.random() < 0.6
            )
            given = self.fake.first_name_female() if female else self.fake.first_name_male()
            consent = rng.random() < 0.6
            services.relative_create(
                child=child,
                actor=None,
                data={
                    "relationship": relationship,
                    "given_name": given,
                    "family_name": child.family_name,
                    "phone": f"+380 00 {rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}",
                    "email": f"relative-{child.pk}-{number}@example.org",
                    "is_legal_guardian": number == 0 and relationship != Relationship.AUNT_UNCLE,
                    "is_searching": searching and number == 0,
                    "consent_to_share": consent,
                    "consent_recorded_on": self._date_between(rng, dt.date(2023, 1, 1), self.today)
                    if consent
                    else None,
                    "notes": "Synthetic demo relative; contacts are not real.",
                },
            )

    def _walk(self, case: Case, scenario: _Scenario, *, returned_on: dt.date | None = None) -> Case:
        for target in scenario.path:
            transition = workflow.find_transition(case.status, target)
            needs_reason = transition is not None and workflow.REASON in transition.requires
            case = services.case_transition(
                case_id=case.pk,
                to=target,
                actor=None,
                reason="Synthetic demo: the trail went cold." if needs_reason else "",
                returned_on=returned_on if target == Status.RETURNED else None,
                closure_reason=scenario.closure_reason if target == Status.CLOSED else "",
            )
        return case

    def _services(
        self, case: Case, rng: random.Random, returned_on: dt.date, scenario: _Scenario
    ) -> None:
        if scenario.status == Status.RETURNED:
            kinds = [ServiceKind.MEDICAL]
        else:
            kinds = [ServiceKind.MEDICAL, ServiceKind.PSYCHOLOGICAL, ServiceKind.DOCUMENTS]
            if scenario.status in (Status.INTEGRATION, Status.CLOSED):
                kinds.append(ServiceKind.EDUCATION)
        for kind in kinds:
            started_on = self._date_between(
                rng, returned_on, returned_on + dt.timedelta(days=rng.randint(0, 30))
            )
            finished = scenario.status == Status.CLOSED or kind == ServiceKind.DOCUMENTS
            services.service_create(
                case=case,
                actor=None,
                data={
                    "kind": kind,
                    "status": ServiceStatus.COMPLETED if finished else ServiceStatus.ACTIVE,
                    "provider": "Synthetic demo provider",
                    "started_on": started_on,
                    "ended_on": self._date_between(
                        rng, started_on, started_on + dt.timedelta(days=120)
                    )
                    if finished
                    else None,
                    "notes": "Synthetic demo service.",
                },
            )

    def complete_due_follow_ups(self, case: Case) -> None:
        """Record outcomes for the follow-ups already due on cases well into integration."""
        if case.status not in (Status.INTEGRATION, Status.CLOSED):
            return
        for follow_up in case.follow_ups.filter(completed_on__isnull=True, due_on__lte=self.today):
            services.follow_up_complete(
                follow_up=follow_up,
                actor=None,
                outcome=FollowUpOutcome.WELL,
                completed_on=follow_up.due_on,
                notes="Synthetic demo follow-up.",
            )
