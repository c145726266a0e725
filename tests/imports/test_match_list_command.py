"""``python manage.py match_list FILE --output RESULTS.csv --user USERNAME``. All names and
dates are synthetic."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import READ_ACTIONS, AuditEvent, Channel
from imports.models import MatchRun, MatchRunStatus
from tests.imports.match_world import GIRL, LIST_CSV, MatchWorld, match_world

pytestmark = pytest.mark.django_db
__all__ = ["match_world"]


def test_match_list_writes_the_candidates_as_the_user_may_see_them(
    match_world: MatchWorld, tmp_path: Path
):
    w = match_world
    source = tmp_path / "list.csv"
    source.write_bytes(LIST_CSV)
    output = tmp_path / "results.csv"
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "match_list",
        str(source),
        output=str(output),
        user=w.caseworker_a.username,
        stdout=out,
        stderr=err,
    )
    text = output.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("row,ref,id,entry,problems,rank,band")
    assert any(line.startswith("2,R-1,") and w.boy.number in line for line in lines)
    assert any(line.startswith("3,R-2,") and w.d.name in line for line in lines)
    assert str(GIRL["family_name"]) not in text
    assert "likely for 2" in out.getvalue()
    assert "Matching" in err.getvalue()  # the progress bar
    run = MatchRun.objects.get()
    assert run.status == MatchRunStatus.DONE
    assert run.created_by == w.caseworker_a
    read = AuditEvent.objects.get(action__in=READ_ACTIONS, object_id=str(run.pk))
    assert read.channel == Channel.COMMAND
    assert read.actor_id == w.caseworker_a.pk


def test_match_list_writes_to_standard_output(match_world: MatchWorld, tmp_path: Path):
    source = tmp_path / "list.csv"
    source.write_bytes(LIST_CSV)
    out = io.StringIO()
    call_command(
        "match_list",
        str(source),
        output="-",
        user=match_world.caseworker_a.username,
        no_progress=True,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue().startswith("row,ref,id,entry")


def test_match_list_refuses_a_bad_file_an_unknown_user_and_a_missing_file(
    match_world: MatchWorld, tmp_path: Path
):
    source = tmp_path / "list.csv"
    source.write_bytes(b"ref\r\nR-1\r\n")
    user = match_world.caseworker_a.username
    with pytest.raises(CommandError, match="full_name"):
        call_command("match_list", str(source), output="-", user=user, no_progress=True)
    with pytest.raises(CommandError, match="user"):
        call_command("match_list", str(source), output="-", user="nobody", no_progress=True)
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "match_list", str(tmp_path / "none.csv"), output="-", user=user, no_progress=True
        )
    assert not MatchRun.objects.exists()
