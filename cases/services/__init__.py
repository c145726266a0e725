"""Every write to the case registry. The admin, the API, imports, seeds and tasks call these.

Services are atomic, validate before writing, and return what they wrote. Error messages name the
field and the rule, never the child's personal data. One module a job; the names are re-exported
here, so callers import ``cases.services`` whichever module holds a service.
"""

from __future__ import annotations

from .bulk import (
    CheckedRecords,
    NewCaseRecord,
    case_records_check,
    case_records_checked,
    cases_create_many,
)
from .cases import CASE_FIELDS, WORKFLOW_FIELDS, case_create, case_numbers_allocate, case_update
from .checks import Actor, today
from .children import (
    CHILD_FIELDS,
    EARLIEST_BIRTH,
    child_alias_add,
    child_alias_remove,
    child_refresh_name_keys,
    child_refresh_search_text,
    child_update,
)
from .closure import closure_request_create, closure_request_decide
from .duplicates import (
    DUPLICATE_PAIRS_FIND_TASK,
    SCAN_BATCH_SIZE,
    ScanBatch,
    child_duplicate_pairs_find,
    duplicate_pairs_find_later,
    duplicate_pairs_propose,
    duplicate_pairs_propose_many,
    duplicate_pairs_scan_batch,
    worth_review,
)
from .followups import (
    FOLLOW_UPS_TASK,
    case_follow_ups_schedule,
    follow_up_complete,
    follow_up_create,
)
from .merging import child_merge, duplicate_pair_decide
from .reference import FACILITY_FIELDS, facility_save, oblast_upsert
from .relatives import (
    RELATIVE_FIELD_ORDER,
    RELATIVE_FIELDS,
    relative_create,
    relative_delete,
    relative_update,
)
from .search_indexes import SEARCH_MERGE_TASK, search_indexes_merge, search_merge_deferred
from .shares import case_share_create, case_share_revoke
from .support import SERVICE_FIELDS, service_create, service_update
from .transitions import case_transition
from .whereabouts import (
    WHEREABOUTS_FIELDS,
    child_current_whereabouts_refresh,
    whereabouts_delete,
    whereabouts_record,
    whereabouts_update,
)

__all__ = [
    "CASE_FIELDS",
    "CHILD_FIELDS",
    "DUPLICATE_PAIRS_FIND_TASK",
    "EARLIEST_BIRTH",
    "FACILITY_FIELDS",
    "FOLLOW_UPS_TASK",
    "RELATIVE_FIELDS",
    "RELATIVE_FIELD_ORDER",
    "SCAN_BATCH_SIZE",
    "SEARCH_MERGE_TASK",
    "SERVICE_FIELDS",
    "WHEREABOUTS_FIELDS",
    "WORKFLOW_FIELDS",
    "Actor",
    "CheckedRecords",
    "NewCaseRecord",
    "ScanBatch",
    "case_create",
    "case_follow_ups_schedule",
    "case_numbers_allocate",
    "case_records_check",
    "case_records_checked",
    "case_share_create",
    "case_share_revoke",
    "case_transition",
    "case_update",
    "cases_create_many",
    "child_alias_add",
    "child_alias_remove",
    "child_current_whereabouts_refresh",
    "child_duplicate_pairs_find",
    "child_merge",
    "child_refresh_name_keys",
    "child_refresh_search_text",
    "child_update",
    "closure_request_create",
    "closure_request_decide",
    "duplicate_pair_decide",
    "duplicate_pairs_find_later",
    "duplicate_pairs_propose",
    "duplicate_pairs_propose_many",
    "duplicate_pairs_scan_batch",
    "facility_save",
    "follow_up_complete",
    "follow_up_create",
    "oblast_upsert",
    "relative_create",
    "relative_delete",
    "relative_update",
    "search_indexes_merge",
    "search_merge_deferred",
    "service_create",
    "service_update",
    "today",
    "whereabouts_delete",
    "whereabouts_record",
    "whereabouts_update",
    "worth_review",
]
