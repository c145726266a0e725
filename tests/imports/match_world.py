"""A small registry for match runs: a boy's case in organization A, a girl's in organization D,
their people (a caseworker and a coordinator of A, a caseworker of D) and a coalition list kept
by A naming the boy. All names and dates are synthetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import Organization, User
from cases.models import Case
from coalition.models import ChildList, ChildListEntry
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case
from tests.factories.coalition_lists import make_entry, make_list

BOY = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
    "date_of_birth_precision": "exact",
}
GIRL = {
    "given_name": "Марія",
    "family_name": "Іваненко",
    "patronymic": "Петрівна",
    "sex": "female",
    "date_of_birth": dt.date(2010, 3, 2),
    "date_of_birth_precision": "exact",
}


@dataclass
class MatchWorld:
    a: Organization
    d: Organization
    caseworker_a: User
    coordinator_a: User
    caseworker_d: User
    boy: Case
    girl: Case
    child_list: ChildList
    entries: list[ChildListEntry]


@pytest.fixture
def match_world(oblasts: Any) -> MatchWorld:
    a = OrganizationFactory.create(name="Synthetic organization A")
    d = OrganizationFactory.create(name="Synthetic organization D")
    boy = make_case(organization=a, child={**BOY, "origin_oblast": oblasts["UA-14"]})
    girl = make_case(organization=d, child=GIRL)
    child_list = make_list(a)
    entries = [
        make_entry(
            child_list,
            name_as_written="КОВАЛЕНКО Олексій Сергійович",
            date_of_birth_as_written="17.05.2012",
        ),
        make_entry(child_list, name_as_written="Ткаченко Ірина", date_of_birth_as_written="2015"),
        make_entry(child_list, name_as_written="???", date_of_birth_as_written="невідомо"),
    ]
    return MatchWorld(
        a=a,
        d=d,
        caseworker_a=make_member("caseworker", a),
        coordinator_a=make_member("coordinator", a),
        caseworker_d=make_member("caseworker", d),
        boy=boy,
        girl=girl,
        child_list=child_list,
        entries=entries,
    )


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# A list of four rows: the boy in Latin (KMU 2010), the girl Russified with a year only, a child
# the registry does not hold, and a row with no name and a bad date.
LIST_CSV = csv_bytes(
    "ref,full_name,date_of_birth,sex,origin_oblast",
    "R-1,Oleksii Kovalenko Serhiiovych,2012-05-17,M,UA-14",
    "R-2,Иваненко Мария Петровна,2010,F,",
    "R-3,Вигаданий Захар Остапович,2001-01-01,M,",
    "R-4,,31.02.2012,X,Donetsk",
)
