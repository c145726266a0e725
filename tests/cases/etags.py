"""The ``If-Match`` header an API client sends to change a case as it last read it."""

from __future__ import annotations

from cases.models import Case


def etag(case: Case | int) -> str:
    """The case's current ETag (``"<id>-<version>"``), read from the database as a client
    reading the case now would get it."""
    case_id = case if isinstance(case, int) else case.pk
    version = Case.objects.values_list("version", flat=True).get(pk=case_id)
    return f'"{case_id}-{version}"'


def if_match(case: Case | int) -> dict[str, str]:
    """Request headers carrying the case's current ETag in ``If-Match``."""
    return {"HTTP_IF_MATCH": etag(case)}
