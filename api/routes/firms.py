"""Firms (tenants). Partners see only their own; another firm is a 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.exc import IntegrityError

from api.deps import Principal, SessionDep, require
from api.permissions import Permission
from api.schemas import FirmIn, FirmOut
from domain.sla_contract import FirmSlaPolicy
from sla import BusinessCalendar
from sla.from_template import policy_for
from store.models import Firm
from store.repositories import audit, firms, templates

router = APIRouter(prefix="/firms", tags=["firms"])


def _out(firm: Firm) -> FirmOut:
    return FirmOut.model_validate(firm, from_attributes=True)


@router.post("", status_code=201, response_model=FirmOut)
async def create_firm(
    body: FirmIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FIRMS_WRITE))],
) -> FirmOut:
    try:
        calendar = BusinessCalendar.from_config(body.timezone, body.business_hours, body.holidays)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    if await firms.get_by_name(session, body.name) is not None:
        raise HTTPException(status_code=409, detail=f"a firm named {body.name!r} exists already")
    try:
        firm = await firms.create(
            session,
            name=body.name,
            timezone=calendar.timezone,
            business_hours=calendar.hours_config(),
            holidays=list(calendar.holiday_calendars),
        )
    except IntegrityError as error:
        raise HTTPException(
            status_code=409, detail=f"a firm named {body.name!r} exists already"
        ) from error
    await audit.record(
        session,
        principal.audit_record(
            "firm.created",
            "firm",
            str(firm.id),
            firm_id=firm.id,
            detail={"name": firm.name, "timezone": firm.timezone},
        ),
    )
    return _out(firm)


@router.get("", response_model=list[FirmOut])
async def list_firms(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FIRMS_READ))],
) -> list[FirmOut]:
    return [_out(f) for f in await firms.list_visible(session, principal.scope)]


@router.get("/{firm_id}", response_model=FirmOut)
async def get_firm(
    firm_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FIRMS_READ))],
) -> FirmOut:
    firm = await firms.get(session, firm_id, principal.scope)
    if firm is None:
        raise HTTPException(status_code=404, detail="firm not found")
    return _out(firm)


@router.put("/{firm_id}/sla-policy", response_model=FirmOut)
async def set_sla_policy(
    firm_id: uuid.UUID,
    body: FirmSlaPolicy,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FIRMS_WRITE))],
) -> FirmOut:
    """Set the firm's SLA contract: its own step targets and priority factors.

    Engagements started afterwards use it; running engagements keep the terms they started with.
    """
    firm = await firms.get(session, firm_id, principal.scope)
    if firm is None:
        raise HTTPException(status_code=404, detail="firm not found")
    problems = await _policy_problems(session, body)
    if problems:
        raise HTTPException(status_code=422, detail="; ".join(problems))
    before = firm.sla_policy
    firm.sla_policy = body.model_dump(mode="json")
    await audit.record(
        session,
        principal.audit_record(
            "firm.sla_policy_changed",
            "firm",
            str(firm.id),
            firm_id=firm.id,
            detail={"before": before, "after": firm.sla_policy},
        ),
    )
    await session.flush()
    return _out(firm)


async def _policy_problems(session: SessionDep, policy: FirmSlaPolicy) -> list[str]:
    problems: list[str] = []
    for priority, factor in policy.priority_factors.items():
        if not 0 < factor <= 10:
            problems.append(f"priority_factors.{priority.value}: must be in (0, 10], got {factor}")
    for key, steps in policy.steps.items():
        row = await templates.latest(session, key)
        if row is None:
            problems.append(f"steps.{key}: unknown template")
            continue
        known = {step.id for step in templates.as_template(row).iter_steps()}
        for step_id, spec in steps.items():
            if step_id not in known:
                problems.append(f"steps.{key}.{step_id}: the template has no such step")
                continue
            try:
                policy_for(spec)
            except ValueError as error:
                problems.append(f"steps.{key}.{step_id}: {error}")
    return problems
