"""Why a case came up in a name search: the alias or the spelling that matched, for the list to
show beside the child's name (a caseworker sees at once that "Александр" found the child through
the Russified alias, not through the name on file)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import names
from .models import Case, ChildAlias
from .selectors import is_case_number


@dataclass(frozen=True)
class SearchMatch:
    """What a case's child was found by, beyond its name as written (Cyrillic or official
    Latin): ``aliases`` that matched (name and kind label) and ``spellings`` (the search keys,
    Russified or other, that held a searched word)."""

    aliases: tuple[tuple[str, str], ...] = ()
    spellings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.aliases or self.spellings)


def _as_written(name: str) -> set[str]:
    """A name's words as written and in their official Latin form, in search form."""
    words = names.words(name)
    return {names.search_form(w) for w in words} | {
        names.search_form(names.latin_kmu(w)) for w in words if names.is_ukrainian_cyrillic(w)
    }


def _spellings(name: str) -> set[str]:
    found: set[str] = set()
    for word in names.words(name):
        found |= names.search_spellings(word)
    return found


def _holds(keys: Iterable[str], term: str) -> str | None:
    """The first key (sorted, for a stable answer) that contains ``term``."""
    return next((key for key in sorted(keys) if term in key), None)


def case_search_matches(*, cases: list[Case], query: str) -> dict[int, SearchMatch]:
    """For each case of a page found by the name search ``query`` (read with its child), what
    it matched by when not its name as written: one query for the page's aliases, whatever its
    length; none when the query is empty or a case number."""
    terms = names.query_terms(query)
    if not cases or not terms or is_case_number(query):
        return {}
    aliases: dict[int, list[ChildAlias]] = {}
    for alias in ChildAlias.objects.filter(child_id__in={case.child_id for case in cases}).order_by(
        "id"
    ):
        aliases.setdefault(alias.child_id, []).append(alias)
    matches: dict[int, SearchMatch] = {}
    for case in cases:
        child = case.child
        own = " ".join(p for p in (child.family_name, child.given_name, child.patronymic) if p)
        written = _as_written(own)
        own_spellings = _spellings(own)
        matched_aliases: dict[int, ChildAlias] = {}
        spellings: list[str] = []
        for term in terms:
            if _holds(written, term):
                continue
            alias = next(
                (a for a in aliases.get(child.pk, []) if _holds(_as_written(a.name), term)), None
            )
            if alias is None:
                spelling = _holds(own_spellings, term)
                if spelling is not None:
                    spellings.append(spelling)
                    continue
                alias = next(
                    (a for a in aliases.get(child.pk, []) if _holds(_spellings(a.name), term)),
                    None,
                )
            if alias is not None:
                matched_aliases[alias.pk] = alias
        match = SearchMatch(
            aliases=tuple((a.name, a.get_kind_display()) for a in matched_aliases.values()),
            spellings=tuple(dict.fromkeys(spellings)),
        )
        if match:
            matches[case.pk] = match
    return matches
