"""SQLAlchemy models: the read model, queues, users and the audit log.

PostgreSQL owns claims and what people look at; Temporal owns the lifecycle. Relationships are
not declared on purpose: repositories join explicitly, so nothing lazy-loads in a request.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSONB,
        list[str]: ARRAY(Text),
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


def _now() -> Any:
    return func.now()


class Firm(Base):
    __tablename__ = "firms"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    business_hours: Mapped[dict[str, Any]]
    holidays: Mapped[list[str]]
    # The firm's SLA contract (domain.sla_contract.FirmSlaPolicy), applied when engagements start.
    sla_policy: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class User(Base):
    __tablename__ = "users"
    # A partner's scope is their firm: the database refuses a partner without one (0016).
    __table_args__ = (
        CheckConstraint(
            "role <> 'partner' OR firm_id IS NOT NULL", name="ck_users_partner_has_firm"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    firm_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("firms.id"))
    skills: Mapped[list[str]] = mapped_column(server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # Bumped when a user is disabled or changes password: tokens carrying an older one are refused.
    token_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    availability: Mapped[str] = mapped_column(String(16), server_default=text("'available'"))
    # How many tasks this clerk may hold at once (None: no limit); a claim beyond it is a 409.
    wip_limit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    # Email alerts (migration 0018): where, which kinds, and the partners' daily digest.
    email: Mapped[str | None] = mapped_column(String(254))
    email_alerts: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)),
        server_default=text(
            "'{sla.breached,sla.escalated,task.assigned,approval.waiting}'::text[]"
        ),
    )
    email_digest: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    digest_sent_on: Mapped[date | None]


class TemplateVersion(Base):
    """Published templates are immutable: a change is a new version row."""

    __tablename__ = "templates"
    __table_args__ = (PrimaryKeyConstraint("key", "version"),)

    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]]
    builtin: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class Engagement(Base):
    __tablename__ = "engagements"
    __table_args__ = (Index("ix_engagements_firm_status", "firm_id", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    matter_ref: Mapped[str] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    current_step: Mapped[str | None] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]]
    court_deadline: Mapped[datetime | None]
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())
    closed_at: Mapped[datetime | None]
    # When Temporal confirmed the workflow's start (migration 0013b_engagement_starts). Until
    # then the row is a reservation: `start_input` holds the workflow's whole input, so a retried
    # create or the start reconciler can start it exactly as the first request would have, and
    # it is cleared once the workflow holds it. `request_hash` is the create body's fingerprint:
    # the same Idempotency-Key with another body is refused.
    started_at: Mapped[datetime | None]
    start_input: Mapped[dict[str, Any] | None]
    request_hash: Mapped[str | None] = mapped_column(String(64))
    # A legal hold (litigation hold) preserves the engagement's documents: none may be deleted
    # while it is set (migration 0014_documents).
    legal_hold_since: Mapped[datetime | None]
    legal_hold_reason: Mapped[str | None] = mapped_column(String(500))


class EngagementEvent(Base):
    """The engagement timeline; `key` makes workflow writes idempotent across retries."""

    __tablename__ = "engagement_events"
    __table_args__ = (Index("ix_engagement_events_engagement", "engagement_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagements.id"))
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    type: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[uuid.UUID | None]
    detail: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    at: Mapped[datetime]


class Queue(Base):
    """A work queue; created on first use by a template step, tuned by managers."""

    __tablename__ = "queues"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    lease_minutes: Mapped[int] = mapped_column(Integer, server_default=text("30"))
    wip_limit: Mapped[int | None] = mapped_column(Integer)
    required_skill: Mapped[str | None] = mapped_column(String(64))
    # A task due within this many minutes counts as "at risk" on the queue board.
    at_risk_minutes: Mapped[int] = mapped_column(Integer, server_default=text("60"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class Task(Base):
    """A human step waiting in a queue. One row per visit of a step (rework makes a new visit)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint(
            "engagement_id", "step_id", "item", "visit", name="uq_tasks_engagement_step_item_visit"
        ),
        # By priority, open rows only: GET /tasks's `queue` sort (claim-next reads the urgency one).
        Index(
            "ix_tasks_open_queue_order",
            "queue",
            "priority",
            "due_at",
            "created_at",
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_engagement", "engagement_id", "created_at"),
        Index("ix_tasks_firm_status", "firm_id", "status"),
        # The lease sweeper and per-queue WIP counts read claimed rows only.
        Index(
            "ix_tasks_claimed_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'claimed'"),
        ),
        Index(
            "ix_tasks_claimed_queue",
            "queue",
            "assignee_id",
            postgresql_where=text("status = 'claimed'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagements.id"))
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    step_id: Mapped[str] = mapped_column(String(64))
    visit: Mapped[int] = mapped_column(Integer)
    # Fan-out item (1-based) when a child run of a fan-out step made the task; 0 otherwise.
    item: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The workflow run that owns the task (the engagement's, or a fan-out item's child).
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    queue: Mapped[str] = mapped_column(String(64))
    skill: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)  # Priority.rank: 0 = urgent
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    # Fencing token: bumped on every claim, so a stale holder's completion is refused.
    generation: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    excluded_user_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default=text("'{}'")
    )
    outcomes: Mapped[list[str]]
    output_schema: Mapped[dict[str, Any] | None]
    instructions: Mapped[str] = mapped_column(Text, server_default=text("''"))
    inputs: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    outcome: Mapped[str | None] = mapped_column(String(64))
    output: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    # The engagement's template, copied by a trigger on insert (migration 0008a_dashboard_speed)
    # so the all-firms dashboards group by template without joining engagements.
    template_key: Mapped[str | None] = mapped_column(String(64))
    # Written by the workflow's SLA clock: on_track | at_risk | breached | met | paused.
    sla_state: Mapped[str | None] = mapped_column(String(16))
    escalated: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    # Who last sent the task back to its queue: claim-next does not hand it straight back to
    # them (migration 0019_console); the next claim or assignment clears it.
    released_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # An approval's pin: the engagement's documents and the version each stood at when it was
    # approved (migration 0022_approved_versions); e-filing files exactly those versions.
    approved_versions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)


class AuditEntry(Base):
    """Who did what. Append-only; `dedupe_key` keeps retried activity writes single."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_engagement", "engagement_id", "id"),
        Index("ix_audit_object", "object_type", "object_id", "id"),
        Index("ix_audit_firm", "firm_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(server_default=_now())
    actor_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    engagement_id: Mapped[uuid.UUID | None]
    firm_id: Mapped[uuid.UUID | None]
    detail: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Hash chain, set by the database's chainer shortly after commit (migration
    # 0011_audit_chainer): `seq` is the entry's place in the chain. Never written here.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class AuditHead(Base):
    """A chain head signed by a worker with a key the database never holds (migration 0017);
    append-only like the log."""

    __tablename__ = "audit_heads"
    __table_args__ = (Index("ix_audit_heads_seq", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(100))


class IdempotentResponse(Base):
    """The first answer to a mutating call, replayed when the same Idempotency-Key comes again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (PrimaryKeyConstraint("user_id", "key"),)

    user_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any] | None]
    # SHA-256 of the request it answered (api.idempotency.fingerprint); None before 0023.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class TaskComment(Base):
    """A note on a task by a person working or managing it; append-only."""

    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_task", "task_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    engagement_id: Mapped[uuid.UUID]
    firm_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class TaskDraft(Base):
    """The form a user is typing on a task, kept server side until the task is completed."""

    __tablename__ = "task_drafts"

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    fields: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    saved_at: Mapped[datetime] = mapped_column(server_default=_now())


class CalendarFeedToken(Base):
    """A per-user, per-firm token for the iCalendar feed URL (calendar clients send no headers).

    The URL carries a signed token naming this row; revoking the row kills the URL.
    """

    __tablename__ = "calendar_feed_tokens"
    __table_args__ = (Index("ix_calendar_feed_tokens_user_firm", "user_id", "firm_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    revoked_at: Mapped[datetime | None]


class CalendarFeedEvent(Base):
    """What the feed last said about one event, so SEQUENCE/LAST-MODIFIED move only on change."""

    __tablename__ = "calendar_feed_events"
    __table_args__ = (Index("ix_calendar_feed_events_firm", "firm_id"),)

    uid: Mapped[str] = mapped_column(String(120), primary_key=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    modified_at: Mapped[datetime] = mapped_column(server_default=_now())


# Dashboard indexes (migration 0004_dashboard): partial and covering, so the SLA, trend and
# queue queries are index-only scans over completed-in-period or open rows.
_DASH_COMPLETED = ["created_at", "due_at", "queue", "step_id", "completed_by", "engagement_id"]
Index(
    "ix_tasks_dash_firm_completed_tpl",  # migration 0012_dashboard_queues; + template_key
    Task.firm_id,
    Task.completed_at,
    postgresql_include=[*_DASH_COMPLETED, "template_key"],
    postgresql_where=text("status = 'completed'"),
)
Index(
    "ix_tasks_dash_completed_tpl",  # migration 0008a_dashboard_speed; replaced ..._completed
    Task.completed_at,
    postgresql_include=["firm_id", *_DASH_COMPLETED, "template_key"],
    postgresql_where=text("status = 'completed'"),
)
Index(
    "ix_tasks_dash_open_template",
    Task.template_key,
    postgresql_include=["status", "due_at", "created_at"],
    postgresql_where=text("status IN ('open', 'claimed')"),
)
Index(
    "ix_tasks_feed_firm_due",
    Task.firm_id,
    Task.due_at,
    Task.id,
    postgresql_include=["engagement_id", "title", "queue", "step_id", "priority", "status"],
    postgresql_where=text("status IN ('open', 'claimed') AND due_at IS NOT NULL"),
)
Index(
    "ix_tasks_dash_firm_open_tpl",  # migration 0012_dashboard_queues; + template_key
    Task.firm_id,
    Task.queue,
    postgresql_include=[
        "status",
        "due_at",
        "created_at",
        "assignee_id",
        "step_id",
        "engagement_id",
        "template_key",
    ],
    postgresql_where=text("status IN ('open', 'claimed')"),
)
Index(
    "ix_tasks_dash_open_queue",  # migration 0012_dashboard_queues: all firms' queue board
    Task.queue,
    postgresql_include=["status", "due_at", "created_at"],
    postgresql_where=text("status IN ('open', 'claimed')"),
)
Index(
    "ix_tasks_open_queue_urgency",  # migration 0019_console: claim-next's serving order
    Task.queue,
    func.coalesce(Task.warn_at, Task.due_at),
    Task.priority,
    Task.created_at,
    postgresql_where=text("status = 'open'"),
)
Index(
    "ix_engagements_unconfirmed",  # migration 0013b_engagement_starts: the start reconciler
    Engagement.created_at,
    postgresql_where=text("started_at IS NULL"),
)


class LoginThrottle(Base):
    """Failed logins per `user:<name>` and `addr:<ip>`, shared by every API replica."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    window_started_at: Mapped[datetime] = mapped_column(server_default=_now())
    locked_until: Mapped[datetime | None]


class Notification(Base):
    """Outbox of SLA warnings, breaches and escalations: read in-app (`GET /notifications`) and
    pushed to the webhook by the NotificationDispatcher (workflows/housekeeping.py)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_undelivered", "id", postgresql_where=text("delivered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    firm_id: Mapped[uuid.UUID]
    engagement_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    recipients: Mapped[list[str]]  # roles ("manager", "partner")
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    delivered_at: Mapped[datetime | None]  # accepted by the webhook (migration 0009)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The email channel's own delivery state (migration 0018).
    emailed_at: Mapped[datetime | None]
    email_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    email_next_attempt_at: Mapped[datetime | None]
    email_last_error: Mapped[str | None] = mapped_column(String(500))


class DashboardRollup(Base):
    """Completed work per UTC day x firm x template x step x queue x clerk, for the all-firms
    dashboards. Kept by triggers on `tasks` (migration 0006_dashboard_rollups), never written
    by application code."""

    __tablename__ = "dashboard_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The nil UUID when no one is recorded (a key column cannot be NULL).
    completed_by: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    completed: Mapped[int] = mapped_column(Integer)
    met: Mapped[int] = mapped_column(Integer)
    # Cycle-time histogram: see store.repositories.dashboard_rollup.BUCKETS.
    cycle_hist: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class FirmDataKey(Base):
    """A firm's payload data key (core/codec.py), wrapped by the master key. The highest
    unretired version encrypts new payloads; every unshredded version still decrypts. Shredding
    empties `wrapped_key`, and with it every history written under this version."""

    __tablename__ = "firm_data_keys"
    __table_args__ = (UniqueConstraint("firm_id", "version"),)

    key_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # firm:<uuid>:<version>
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    retired_at: Mapped[datetime | None]
    shredded_at: Mapped[datetime | None]


class Document(Base):
    """A piece of work product of an engagement; its bytes live in the blob store, sealed with
    the firm's data key (store/document_vault.py), one row per version in `document_versions`."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_engagement", "engagement_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    engagement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagements.id"))
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    current_version: Mapped[int] = mapped_column(Integer)
    # Null when an automated step produced it (`step_id` of its first version says which).
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class DocumentVersion(Base):
    """One version's bytes, kept byte for byte: `address` is firm + SHA-256 of the plaintext."""

    __tablename__ = "document_versions"
    __table_args__ = (
        PrimaryKeyConstraint("document_id", "version"),
        Index("ix_document_versions_address", "address"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id"))
    step_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
