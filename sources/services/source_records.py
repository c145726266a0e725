"""Source records: describing a source, and judging its reliability and credibility."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from audit import services as audit
from core.checks import raise_field_errors, reject_unknown_fields

from ..models import Credibility, Reliability, Source, SourceKind
from .checks import (
    Actor,
    _assign,
    _clean_fields,
    _lock_source,
    _not_in_future,
    _receiving_organization,
    _require_source_write,
)

# What describes a source; the file's own columns (hash, size, type, name) are set on receipt only.
SOURCE_FIELDS: frozenset[str] = frozenset(
    {"kind", "title", "publisher", "author", "language", "published_on", "retrieved_at", "url"}
)

# A source without a file may be given its words (a statement known by its text).
RECORD_FIELDS: frozenset[str] = SOURCE_FIELDS | {"extracted_text"}

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


def _source_check(source: Source) -> None:
    """Normalise and check a source's descriptive fields (400 naming each field)."""
    source.title = " ".join((source.title or "").split())
    source.language = (source.language or "").strip().lower()
    for name in ("publisher", "author", "url"):
        setattr(source, name, (getattr(source, name) or "").strip())
    errors: dict[str, list[str]] = {}
    _clean_fields(
        source,
        errors,
        exclude=[
            "organization",
            "created_by",
            "reliability_judged_by",
            "credibility_judged_by",
            "file",
            "extracted_text",
        ],
    )
    if source.language and not LANGUAGE_RE.match(source.language):
        errors.setdefault("language", []).append(
            _("Give an ISO 639-1 code of two letters, e.g. uk, en, ru.")
        )
    if "published_on" not in errors:
        _not_in_future(errors, "published_on", source.published_on)
    if "retrieved_at" not in errors:
        _not_in_future(errors, "retrieved_at", source.retrieved_at)
    raise_field_errors(errors)


def _source_draft(
    *,
    actor: Actor,
    organization: Organization | None,
    data: Mapping[str, Any],
    allowed: frozenset[str],
    is_synthetic: bool,
) -> Source:
    """A new source, not yet checked or saved: ``data`` (only ``allowed`` fields) over the
    defaults, received by the organization the actor acts for."""
    reject_unknown_fields(data, allowed)
    source = Source(
        kind=SourceKind.OTHER,
        organization=_receiving_organization(actor, organization),
        created_by=actor,
        is_synthetic=is_synthetic,
    )
    _assign(source, data)
    return source


@transaction.atomic
def source_record(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    organization: Organization | None = None,
    is_synthetic: bool = False,
) -> Source:
    """Record a source without a file: an article known by its URL, a statement by its words.

    ``data``: kind (default other), title (required), publisher, author, language,
    published_on, retrieved_at, url, extracted_text (its words, if given).
    """
    source = _source_draft(
        actor=actor,
        organization=organization,
        data=data,
        allowed=RECORD_FIELDS,
        is_synthetic=is_synthetic,
    )
    source.extracted_text = (source.extracted_text or "").replace("\x00", "").strip()
    _source_check(source)
    source.save()
    audit.record_create(source, actor=actor, organization=source.organization)
    return source


@transaction.atomic
def source_update(*, source: Source, actor: Actor, data: Mapping[str, Any]) -> Source:
    """Change what describes a source (its file, hash and text never change)."""
    data = dict(data)
    reject_unknown_fields(data, SOURCE_FIELDS)
    locked = _lock_source(source.pk)
    _require_source_write(actor, locked)
    before = audit.snapshot(locked)
    _assign(locked, data)
    _source_check(locked)
    locked.save()
    audit.record_update(locked, before, actor=actor)
    return locked


@transaction.atomic
def source_judge(
    *,
    source: Source,
    actor: Actor,
    reliability: str | None = None,
    credibility: int | None = None,
) -> Source:
    """Judge a source on the admiralty scale: its reliability (A–F) and the credibility of its
    information (1–6), each recorded with who judged it and when. ``None`` leaves one as is."""
    locked = _lock_source(source.pk)
    _require_source_write(actor, locked, judging=True)
    errors: dict[str, list[str]] = {}
    if reliability is None and credibility is None:
        errors["non_field_errors"] = [_("Give a reliability, a credibility, or both.")]
    if reliability is not None and reliability not in Reliability.values:
        errors["reliability"] = [_("Choose one of A, B, C, D, E, F.")]
    if credibility is not None and (
        isinstance(credibility, bool) or credibility not in Credibility.values
    ):
        errors["credibility"] = [_("Choose one of 1 to 6.")]
    raise_field_errors(errors)
    fields = [
        "reliability",
        "reliability_judged_by",
        "reliability_judged_at",
        "credibility",
        "credibility_judged_by",
        "credibility_judged_at",
    ]
    before = audit.snapshot(locked, fields=fields)
    now = timezone.now()
    if reliability is not None:
        locked.reliability = reliability
        locked.reliability_judged_by = actor
        locked.reliability_judged_at = now
    if credibility is not None:
        locked.credibility = credibility
        locked.credibility_judged_by = actor
        locked.credibility_judged_at = now
    locked.save(update_fields=[*fields, "updated_at"])
    audit.record_update(locked, before, actor=actor)
    return locked


@transaction.atomic
def source_change(
    *,
    source: Source,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
    reliability: str | None = None,
    credibility: int | None = None,
) -> Source:
    """``source_update`` and ``source_judge`` in one transaction (the API's partial update):
    the metadata in ``data`` if any, then the judgement if one is given."""
    if not data and reliability is None and credibility is None:
        # An empty change writes nothing, but answers as a change would: refused to a role
        # that may not change the source.
        _require_source_write(actor, source)
        return source
    if data:
        source = source_update(source=source, actor=actor, data=data)
    if reliability is not None or credibility is not None:
        source = source_judge(
            source=source, actor=actor, reliability=reliability, credibility=credibility
        )
    return source
