from cases.workflow import Status
from tests.factories.cases import make_case, move_case


def test_case_create_and_walk_to_returned_schedules_follow_ups(
    oblasts, django_capture_on_commit_callbacks
):
    case = make_case(oblast=oblasts["UA-14"])
    with django_capture_on_commit_callbacks(execute=True):
        case = move_case(
            case, "verifying", "searching", "located", "return_in_progress", "returned"
        )
    assert case.status == Status.RETURNED
    assert case.follow_ups.count() == 3
