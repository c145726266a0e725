"""Request bodies the idempotency tests post: a synthetic child (made-up family name)."""

from __future__ import annotations

from typing import Any

CASES = "/api/v1/cases/"


def case_url(case_id: Any, suffix: str = "") -> str:
    return f"{CASES}{case_id}/{suffix}"


def case_body(**case_fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "child": {
            "given_name": "Тестослав",
            "family_name": "Вигаданенко",
            "patronymic": "Петрович",
            "date_of_birth": "2012-05-17",
            "date_of_birth_precision": "exact",
            "sex": "male",
            "origin_oblast": "UA-14",
        },
        "priority": "high",
        "pathway": "from_institution",
        "deported_on": "2022-09-01",
        # The same child posted again is a likely match of the first: these tests are about
        # replays, so every post says its candidates were looked at.
        "candidates_checked": True,
    }
    body.update(case_fields)
    return body
