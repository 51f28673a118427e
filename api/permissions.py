"""The permission matrix: which role may do what. Routes declare `require(Permission.X)`."""

from __future__ import annotations

from enum import StrEnum

from domain.enums import Role


class Permission(StrEnum):
    ME = "me"
    FIRMS_READ = "firms:read"
    FIRMS_WRITE = "firms:write"
    TEMPLATES_READ = "templates:read"
    TEMPLATES_WRITE = "templates:write"
    ENGAGEMENTS_READ = "engagements:read"
    ENGAGEMENTS_CREATE = "engagements:create"
    ENGAGEMENTS_CONTROL = "engagements:control"
    ENGAGEMENTS_EVENTS = "engagements:events"
    TASKS_READ = "tasks:read"
    TASKS_WORK = "tasks:work"
    TASKS_ASSIGN = "tasks:assign"
    AUDIT_READ = "audit:read"
    USERS_ADMIN = "users:admin"
    CODEC = "temporal:codec"  # decrypt/encrypt Temporal payloads (Web UI codec server)
    KEYS_ADMIN = "keys:admin"  # rotate and shred a firm's payload data keys
    NOTIFICATIONS_READ = "notifications:read"  # SLA alerts addressed to the caller's role
    # Dashboards and the deadlines feed: every role, scoped (a partner sees their firm only).
    DASHBOARD_READ = "dashboard:read"
    QUEUES_MANAGE = "queues:manage"  # queue settings, clerk availability and WIP limits
    DEADLINES_COMPUTE = "deadlines:compute"  # the calculator: every role
    # Documents: read and upload (scoped: a partner their firm's, a clerk their tasks'
    # engagements); deleting (retention) is the admin's, and blocked by a legal hold.
    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_WRITE = "documents:write"
    DOCUMENTS_DELETE = "documents:delete"
    LEGAL_HOLD = "engagements:legal_hold"
    REDACTION_SCAN = "redaction:scan"  # the FRCP 5.2(a) scan of a text: every role
    BILLING_LEDES = "billing:ledes"  # LEDES 1998B files from an invoice: every role


_ALL = frozenset(Permission)

MATRIX: dict[Role, frozenset[Permission]] = {
    # Admins run the platform: they never work tasks or read the work product.
    Role.ADMIN: _ALL
    - {Permission.TASKS_WORK, Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE},
    Role.MANAGER: _ALL
    - {Permission.USERS_ADMIN, Permission.KEYS_ADMIN, Permission.DOCUMENTS_DELETE},
    Role.CLERK: frozenset(
        {
            Permission.ME,
            Permission.FIRMS_READ,
            Permission.TEMPLATES_READ,
            Permission.ENGAGEMENTS_READ,
            Permission.ENGAGEMENTS_EVENTS,
            Permission.TASKS_READ,
            Permission.TASKS_WORK,
            Permission.DASHBOARD_READ,
            Permission.DEADLINES_COMPUTE,
            Permission.DOCUMENTS_READ,
            Permission.DOCUMENTS_WRITE,
            Permission.REDACTION_SCAN,
            Permission.BILLING_LEDES,
        }
    ),
    # Partners see only their own firm (enforced by Scope in the repositories) and take approvals.
    Role.PARTNER: frozenset(
        {
            Permission.ME,
            Permission.FIRMS_READ,
            Permission.TEMPLATES_READ,
            Permission.ENGAGEMENTS_READ,
            Permission.ENGAGEMENTS_CREATE,
            Permission.TASKS_READ,
            Permission.TASKS_WORK,
            Permission.AUDIT_READ,
            Permission.DASHBOARD_READ,
            Permission.DEADLINES_COMPUTE,
            Permission.REDACTION_SCAN,
            Permission.BILLING_LEDES,
            Permission.NOTIFICATIONS_READ,
            Permission.DOCUMENTS_READ,
            Permission.DOCUMENTS_WRITE,
            Permission.LEGAL_HOLD,
        }
    ),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in MATRIX[role]
