"""What each role may do: one table, read by the services (which enforce it), the admin (which
shows only what is allowed) and the API.

Scope rules (which cases an actor sees at all) live in ``cases.selectors``; this table says
what a member may do with the cases of their own organization, and which organization-wide
capabilities a role carries.
"""

from __future__ import annotations

from enum import StrEnum

from .models import Role


class Capability(StrEnum):
    # On the cases of one's own organization.
    CASE_READ = "case_read"  # a reading role: what is shared with it, and what one submitted
    CASE_READ_ORGANIZATION = "case_read_organization"  # every case of one's organization
    CASE_CREATE = "case_create"
    CASE_WRITE = "case_write"  # change a case, its child, relatives, whereabouts, services
    CASE_TRANSITION = "case_transition"  # every move but closing
    CASE_CLOSE = "case_close"  # close at once, and approve or reject closure requests
    CASE_REQUEST_CLOSURE = "case_request_closure"
    CASE_ASSIGN = "case_assign"
    CASE_SHARE = "case_share"  # share with another organization, and revoke shares
    # Across organizations.
    READ_ALL_CASES = "read_all_cases"  # every case, full scope, read only
    READ_AUDIT = "read_audit"
    READ_AGGREGATES = "read_aggregates"  # counts without personal data
    READ_COALITION = "read_coalition"  # the coalition's records (list entries' names: see cases)
    WRITE_COALITION = "write_coalition"  # members, pledges, meetings, statements, lists, votes


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.CASEWORKER: frozenset(
        {
            Capability.CASE_READ,
            Capability.CASE_READ_ORGANIZATION,
            Capability.CASE_CREATE,
            Capability.CASE_WRITE,
            Capability.CASE_TRANSITION,
            Capability.CASE_REQUEST_CLOSURE,
            Capability.READ_AGGREGATES,
            Capability.READ_COALITION,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Capability.CASE_READ,
            Capability.CASE_READ_ORGANIZATION,
            Capability.CASE_CREATE,
            Capability.CASE_WRITE,
            Capability.CASE_TRANSITION,
            Capability.CASE_REQUEST_CLOSURE,
            Capability.CASE_CLOSE,
            Capability.CASE_ASSIGN,
            Capability.CASE_SHARE,
            Capability.READ_AGGREGATES,
            Capability.READ_COALITION,
        }
    ),
    # Partners read what is shared with their organization and the cases they submitted
    # themselves (the person, or the API key's service account), never the rest of their
    # organization's cases; and submit cases.
    Role.PARTNER: frozenset(
        {Capability.CASE_READ, Capability.CASE_CREATE, Capability.READ_COALITION}
    ),
    Role.COORDINATOR: frozenset(
        {Capability.READ_AGGREGATES, Capability.READ_COALITION, Capability.WRITE_COALITION}
    ),
    Role.AUDITOR: frozenset(
        {
            Capability.READ_ALL_CASES,
            Capability.READ_AUDIT,
            Capability.READ_AGGREGATES,
            Capability.READ_COALITION,
        }
    ),
}

# Roles whose members may hold a case as its assignee: those who work cases.
ASSIGNABLE_ROLES: tuple[Role, ...] = (Role.CASEWORKER, Role.SUPERVISOR)


def capabilities_of(role: str) -> frozenset[Capability]:
    return ROLE_CAPABILITIES.get(Role(role), frozenset()) if role in Role.values else frozenset()
