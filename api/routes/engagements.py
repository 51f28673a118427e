"""Engagements: create, list, read (steps and timeline), post external events, cancel."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api import engagement_client, idempotency
from api.deps import (
    Principal,
    SessionDep,
    SessionsDep,
    SettingsDep,
    TemporalDep,
    ensure_holds_a_task_of,
    require,
)
from api.engagement_view import steps_of, timeline_of
from api.permissions import Permission
from api.schema_checks import refuse_unless_valid, schema_errors, summary
from api.schemas import (
    EngagementDetail,
    EngagementIn,
    EngagementOut,
    EventIn,
    Page,
    PriorityIn,
    ReasonIn,
    TemplateRef,
)
from core.settings import Settings
from domain.audit_detail import free_text
from domain.enums import Priority
from domain.messages import (
    UPDATE_CANCEL,
    UPDATE_HOLD,
    UPDATE_POST_EVENT,
    UPDATE_RESUME,
    UPDATE_RETRY,
    UPDATE_SET_PRIORITY,
    CalendarSpec,
    CancelRequest,
    ControlResult,
    EngagementInput,
    HoldRequest,
    PostEventRequest,
    PostEventResult,
    SetPriorityRequest,
    workflow_id_for,
)
from domain.sla_contract import FirmSlaPolicy, apply_contract
from domain.templates import Template, WaitStep
from sla.court_days import end_of_last_day
from sla.from_template import resolve_calendar
from store.models import Engagement
from store.repositories import audit, engagements, firms, tasks, templates, waits

router = APIRouter(prefix="/engagements", tags=["engagements"])


def _out(row: Engagement) -> EngagementOut:
    return EngagementOut(
        id=row.id,
        firm_id=row.firm_id,
        template=TemplateRef(key=row.template_key, version=row.template_version),
        title=row.title,
        matter_ref=row.matter_ref,
        priority=Priority(row.priority),
        # Reserved, not yet confirmed by Temporal: not "running" until its workflow is.
        status=row.status if row.started_at is not None else "starting",
        current_step=row.current_step,
        court_deadline=row.court_deadline,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )


def _court_deadline(body: EngagementIn, firm_timezone: str) -> datetime | None:
    """Every deadline the workflow sees is an aware instant (sla.policy refuses naive ones)."""
    deadline = body.court_deadline
    if deadline is None or isinstance(deadline, datetime):
        return deadline
    return end_of_last_day(deadline, body.court_timezone or firm_timezone)


@router.post("", status_code=201, response_model=EngagementOut)
async def create_engagement(
    body: EngagementIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_CREATE))],
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Any:
    """Create an engagement and start its workflow.

    With an Idempotency-Key the engagement's id is derived from (caller, key) and the row is
    reserved before the workflow starts: a retry, concurrent or after a 503 or a lost answer,
    finds that row and that one workflow. The same key with another body is refused (422)."""
    request_hash = idempotency.fingerprint(body)
    engagement: Engagement | None = None
    if idempotency_key is None:
        engagement_id = uuid.uuid4()
    else:
        engagement_id = idempotency.reserved_id(principal.id, idempotency_key)
        async with sessions() as session:
            engagement = await engagements.get(session, engagement_id, principal.scope)
    if engagement is not None:
        _same_request(engagement, request_hash)
        replayed = await idempotency.replay(sessions, principal, idempotency_key, "/engagements")
        if replayed is not None:
            return replayed
    else:
        reserved = await _reserve(body, engagement_id, request_hash, sessions, settings, principal)
        if isinstance(reserved, JSONResponse):
            return reserved
        engagement = reserved
        _same_request(engagement, request_hash)  # a duplicate in flight may have won the insert
    if engagement.started_at is None:
        await _start(engagement, sessions, settings, temporal, principal)
        async with sessions() as session:
            engagement = await _visible(session, engagement_id, principal)
    out = _out(engagement)
    await idempotency.remember(
        sessions,
        principal,
        idempotency_key,
        method="POST",
        path="/engagements",
        status_code=201,
        body=out.model_dump(mode="json"),
        request_hash=request_hash,
    )
    return out


def _same_request(engagement: Engagement, request_hash: str) -> None:
    # draft-ietf-httpapi-idempotency-key-header: a key reused with a different payload is the
    # client's error, answered 422 (409 is for a duplicate still in flight, which here simply
    # converges on the same engagement).
    if engagement.request_hash != request_hash:
        raise HTTPException(
            status_code=422,
            detail="this Idempotency-Key was already used for a different engagement request: "
            "send the same body to get that engagement, or a new key for a new one",
        )


def _resolved_calendar(
    timezone: str, business_hours: dict[str, list[str]] | None, holidays: list[str]
) -> CalendarSpec:
    """The firm's calendar with its holidays resolved into dates now, at the start, so the running
    engagement keeps them whatever later happens to the holiday data (docs/holiday-calendars.md).
    A firm whose settings name a calendar without a statutory data file is refused (422)."""
    spec = CalendarSpec(timezone=timezone, business_hours=business_hours, holidays=holidays)
    try:
        return resolve_calendar(spec, datetime.now(UTC).year)
    except ValueError as error:
        raise HTTPException(
            status_code=422, detail=f"the firm's calendar settings: {error}"
        ) from error


async def _reserve(
    body: EngagementIn,
    engagement_id: uuid.UUID,
    request_hash: str,
    sessions: SessionsDep,
    settings: SettingsDep,
    principal: Principal,
) -> Engagement | JSONResponse:
    """Validate the request and write the engagement's row with its workflow's whole input,
    before the start: the workflow's first activity writes tasks that reference the row."""
    async with sessions.begin() as session:
        firm = await firms.get(session, body.firm_id, principal.scope)
        if firm is None:
            raise HTTPException(status_code=404, detail="firm not found")
        row = await templates.latest(session, body.template)
        if row is None:
            raise HTTPException(status_code=422, detail=f"unknown template {body.template!r}")
        court_deadline = _court_deadline(body, firm.timezone)
        contract = FirmSlaPolicy.model_validate(firm.sla_policy or {})
        template = apply_contract(templates.as_template(row), contract)
        errors = await schema_errors(
            template.input_schema,
            body.inputs,
            field="inputs",
            limit_seconds=settings.schema_check_timeout_seconds,
        )
        if errors:
            detail = summary(errors)
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": f"inputs do not match template {template.key!r}: {detail}",
                    "errors": errors,
                },
                status_code=422,
                media_type="application/problem+json",
            )
        params = EngagementInput(
            engagement_id=str(engagement_id),
            firm_id=str(body.firm_id),
            template=template,
            inputs=body.inputs,
            priority=body.priority,
            court_deadline=court_deadline,
            calendar=_resolved_calendar(firm.timezone, firm.business_hours, firm.holidays),
            court_deadline_buffer_hours=settings.court_deadline_buffer_hours,
            priority_factors=contract.priority_factors,
            steps_per_run=settings.steps_per_run,
        )
        return await engagements.reserve(
            session,
            engagement_id=engagement_id,
            firm_id=body.firm_id,
            template_key=template.key,
            template_version=template.version,
            title=body.title,
            matter_ref=body.matter_ref,
            priority=body.priority,
            inputs=body.inputs,
            court_deadline=court_deadline,
            workflow_id=workflow_id_for(str(engagement_id), str(body.firm_id)),
            created_by=principal.id,
            start_input=params.model_dump(mode="json"),
            request_hash=request_hash,
        )


async def _start(
    engagement: Engagement,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Principal,
) -> None:
    """Start the reserved row's workflow from the input stored with it (the first request's,
    whichever request this is), then confirm it; only the confirming caller audits the create."""
    assert engagement.start_input is not None  # set on every reserved row until it is confirmed
    params = EngagementInput.model_validate(engagement.start_input)
    try:
        await engagement_client.start(
            temporal, params, settings.task_queue, rpc_seconds=settings.start_timeout_seconds
        )
    except engagement_client.TemporalUnavailableError as error:
        # Never delete the row: the start may have reached Temporal with only its answer lost.
        # A retry with the same key finishes it; without one, the start reconciler does.
        raise HTTPException(
            status_code=503,
            detail=f"the workflow engine did not confirm the start ({error}); engagement "
            f"{engagement.id} is reserved and may already be running: retry the same request "
            "with the same Idempotency-Key to get it (it is created at most once); without a "
            "key it is started shortly by the start reconciler",
            headers={"Retry-After": "5"},
        ) from error
    async with sessions.begin() as session:
        if await engagements.confirm_started(session, engagement.id):
            await audit.record(
                session,
                replace(
                    principal.audit_record(
                        "engagement.created",
                        "engagement",
                        str(engagement.id),
                        engagement_id=engagement.id,
                        firm_id=engagement.firm_id,
                        detail={
                            "template": engagement.template_key,
                            "version": engagement.template_version,
                            "priority": engagement.priority,
                        },
                    ),
                    dedupe_key=engagements.created_audit_key(engagement.id),
                ),
            )


@router.get("", response_model=Page[EngagementOut])
async def list_engagements(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_READ))],
    firm_id: uuid.UUID | None = None,
    status: str | None = Query(default=None, max_length=16),
    template: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> Page[EngagementOut]:
    rows, total = await engagements.list_visible(
        session,
        principal.scope,
        firm_id=firm_id,
        status=status,
        template=template,
        limit=limit,
        offset=offset,
    )
    return Page(items=[_out(r) for r in rows], total=total, limit=limit, offset=offset)


async def _visible(
    session: SessionDep, engagement_id: uuid.UUID, principal: Principal
) -> Engagement:
    engagement = await engagements.get(session, engagement_id, principal.scope)
    if engagement is None:
        raise HTTPException(status_code=404, detail="engagement not found")
    return engagement


@router.get("/{engagement_id}", response_model=EngagementDetail)
async def get_engagement(
    engagement_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_READ))],
) -> EngagementDetail:
    engagement = await _visible(session, engagement_id, principal)
    row = await templates.get(session, engagement.template_key, engagement.template_version)
    assert row is not None
    events = await engagements.timeline(session, engagement.id)
    task_rows = await tasks.for_engagement(session, engagement.id)
    now = datetime.now(UTC)
    ui = (
        f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}"
        f"/workflows/{engagement.workflow_id}"
    )
    return EngagementDetail(
        **_out(engagement).model_dump(),
        inputs=engagement.inputs,
        steps=steps_of(engagement, templates.as_template(row), task_rows, events, now),
        timeline=timeline_of(events),
        temporal_ui_url=ui if principal.scope.firm_id is None else None,
    )


@router.post("/{engagement_id}/events", response_model=PostEventResult)
async def post_event(
    engagement_id: uuid.UUID,
    body: EventIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_EVENTS))],
    idempotency_key: idempotency.IdempotencyKey = None,
) -> PostEventResult:
    path = f"/engagements/{engagement_id}/events"
    if replayed := await idempotency.first_answer(sessions, principal, idempotency_key, path, body):
        return replayed  # type: ignore[return-value]  # the wait it closed may be gone by now
    async with sessions() as session:
        engagement = await _visible(session, engagement_id, principal)
        await ensure_holds_a_task_of(session, principal, engagement_id, "post events")
        open_waits = await waits.waiting_for(session, engagement_id, body.type, body.item)
        row = await templates.get(session, engagement.template_key, engagement.template_version)
        assert row is not None
        template = templates.as_template(row)
        taken = [] if open_waits else await _taken_before(session, engagement_id, template, body)
    if taken:
        # e.g. a provider's second extension notice: 45 CFR 164.524(b)(2)(ii)(B) allows one.
        raise HTTPException(
            status_code=409,
            detail=f"{body.type!r} was already received at step {taken[0]!r} for this item, "
            "and no step takes it again",
        )
    if not open_waits:
        raise HTTPException(
            status_code=409, detail=f"no step of this engagement is waiting for {body.type!r} now"
        )
    if len(open_waits) > 1:
        items = ", ".join(str(w.item) for w in open_waits)
        raise HTTPException(
            status_code=409,
            detail=f"several fan-out items wait for {body.type!r} (items {items}): give `item`",
        )
    wait = open_waits[0]
    await _check_payload(template, wait.step_id, body, settings)
    result = await engagement_client.update(
        temporal,
        wait.workflow_id or workflow_id_for(str(wait.engagement_id), str(wait.firm_id)),
        UPDATE_POST_EVENT,
        PostEventRequest(
            type=body.type, payload=body.payload, actor=principal.actor, task_id=str(wait.id)
        ),
        PostEventResult,
        # One wait takes one event: without a key, the wait's row is the natural one.
        update_id=idempotency_key or f"event:{wait.id}:{body.type}",
        rpc_seconds=settings.update_timeout_seconds,
        pending_location=f"/api/v1/engagements/{engagement_id}",
    )
    await idempotency.keep_answer(sessions, principal, idempotency_key, path, body, result)
    return result


async def _taken_before(
    session: AsyncSession, engagement_id: uuid.UUID, template: Template, body: EventIn
) -> list[str]:
    """The waits (of `body.item`, if given) that already took an event of this type."""
    outcomes = {
        step.id: step.events[body.type]
        for step in template.iter_steps()
        if isinstance(step, WaitStep) and body.type in step.events
    }
    return [
        task.step_id
        for task in await tasks.for_engagement(session, engagement_id)
        if task.step_id in outcomes
        and task.completed_by is not None  # an event, not a timeout
        and task.outcome == outcomes[task.step_id]
        and (body.item is None or task.item == body.item)
    ]


async def _check_payload(
    template: Template, step_id: str, body: EventIn, settings: Settings
) -> None:
    """An event's payload against the wait's `payloads` schema: bad input is a 422 before it
    reaches the workflow (whose validator then checks the date rules)."""
    step = next((s for s in template.iter_steps() if s.id == step_id), None)
    payload = step.payloads.get(body.type) if isinstance(step, WaitStep) else None
    if payload is None:
        return
    await refuse_unless_valid(
        payload.payload_schema,
        body.payload,
        field="payload",
        limit_seconds=settings.schema_check_timeout_seconds,
        what=f"payload does not match the {body.type!r} event's schema",
    )


async def _control(
    engagement_id: uuid.UUID,
    name: str,
    request: BaseModel,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Principal,
) -> ControlResult:
    """A control Update on a visible engagement (hold, resume, priority)."""
    async with sessions() as session:
        engagement = await _visible(session, engagement_id, principal)
    return await engagement_client.update(
        temporal,
        engagement.workflow_id,
        name,
        request,
        ControlResult,
        update_id=None,
        rpc_seconds=settings.update_timeout_seconds,
        pending_location=f"/api/v1/engagements/{engagement_id}",
    )


@router.post("/{engagement_id}/hold", response_model=ControlResult)
async def hold_engagement(
    engagement_id: uuid.UUID,
    body: ReasonIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_CONTROL))],
) -> ControlResult:
    """Pause the engagement (e.g. waiting on the client): every SLA clock stops until resume."""
    request = HoldRequest(reason=body.reason, actor=principal.actor)
    return await _control(
        engagement_id, UPDATE_HOLD, request, sessions, settings, temporal, principal
    )


@router.post("/{engagement_id}/resume", response_model=ControlResult)
async def resume_engagement(
    engagement_id: uuid.UUID,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_CONTROL))],
) -> ControlResult:
    """Resume a held engagement; due times move later by the business time held."""
    request = HoldRequest(reason=None, actor=principal.actor)
    return await _control(
        engagement_id, UPDATE_RESUME, request, sessions, settings, temporal, principal
    )


@router.post("/{engagement_id}/cancel", response_model=ControlResult)
async def cancel_engagement(
    engagement_id: uuid.UUID,
    body: ReasonIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_CONTROL))],
    idempotency_key: idempotency.IdempotencyKey = None,
) -> ControlResult:
    path = f"/engagements/{engagement_id}/cancel"
    if replayed := await idempotency.first_answer(sessions, principal, idempotency_key, path, body):
        return replayed  # type: ignore[return-value]  # the workflow may have closed since
    async with sessions() as session:
        engagement = await _visible(session, engagement_id, principal)
    firm_id = engagement.firm_id
    result = await engagement_client.update(
        temporal,
        engagement.workflow_id,
        UPDATE_CANCEL,
        CancelRequest(reason=body.reason, actor=principal.actor),
        ControlResult,
        update_id=idempotency_key,
        rpc_seconds=settings.update_timeout_seconds,
        pending_location=f"/api/v1/engagements/{engagement_id}",
    )
    async with sessions.begin() as session:
        await audit.record(
            session,
            principal.audit_record(
                "engagement.cancel_requested",
                "engagement",
                str(engagement_id),
                engagement_id=engagement_id,
                firm_id=firm_id,
                detail=free_text("reason", body.reason),
            ),
        )
    await idempotency.keep_answer(sessions, principal, idempotency_key, path, body, result)
    return result


@router.post("/{engagement_id}/retry", response_model=ControlResult)
async def retry_engagement(
    engagement_id: uuid.UUID,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_CONTROL))],
) -> ControlResult:
    """Run a stuck engagement's failed step again (after the cause is fixed); 409 if not stuck."""
    request = HoldRequest(reason=None, actor=principal.actor)
    return await _control(
        engagement_id, UPDATE_RETRY, request, sessions, settings, temporal, principal
    )


@router.post("/{engagement_id}/priority", response_model=ControlResult)
async def change_priority(
    engagement_id: uuid.UUID,
    body: PriorityIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    principal: Annotated[Principal, Depends(require(Permission.ENGAGEMENTS_CONTROL))],
) -> ControlResult:
    """Change the engagement's priority: its open task is re-ranked and its SLA recomputed."""
    request = SetPriorityRequest(priority=body.priority, reason=body.reason, actor=principal.actor)
    return await _control(
        engagement_id, UPDATE_SET_PRIORITY, request, sessions, settings, temporal, principal
    )
