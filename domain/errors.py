"""Typed business failures.

Workflows raise `ApplicationError(type=ErrorType.X, non_retryable=True)` and the API maps each type
to one HTTP status, so a refusal reads the same whether it came from PostgreSQL or from Temporal.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    NOT_FOUND = "NotFound"
    FORBIDDEN = "Forbidden"
    CONFLICT = "Conflict"
    INVALID = "Invalid"
    TASK_NOT_CURRENT = "TaskNotCurrent"
    TASK_NOT_HELD = "TaskNotHeld"
    WRONG_OUTCOME = "WrongOutcome"
    OUTPUT_INVALID = "OutputInvalid"
    SEPARATION_OF_DUTIES = "SeparationOfDuties"
    APPROVER_NOT_ALLOWED = "ApproverNotAllowed"
    ENGAGEMENT_CLOSED = "EngagementClosed"
    EVENT_NOT_AWAITED = "EventNotAwaited"
    UNKNOWN_ACTIVITY = "UnknownActivity"


HTTP_STATUS: dict[ErrorType, int] = {
    ErrorType.NOT_FOUND: 404,
    ErrorType.FORBIDDEN: 403,
    ErrorType.CONFLICT: 409,
    ErrorType.INVALID: 422,
    ErrorType.TASK_NOT_CURRENT: 409,
    ErrorType.TASK_NOT_HELD: 409,
    ErrorType.WRONG_OUTCOME: 422,
    ErrorType.OUTPUT_INVALID: 422,
    ErrorType.SEPARATION_OF_DUTIES: 403,
    ErrorType.APPROVER_NOT_ALLOWED: 403,
    ErrorType.ENGAGEMENT_CLOSED: 409,
    ErrorType.EVENT_NOT_AWAITED: 409,
    ErrorType.UNKNOWN_ACTIVITY: 422,
}


class DomainError(Exception):
    """A refusal the caller can act on; `type` decides the HTTP status."""

    def __init__(self, type_: ErrorType, detail: str) -> None:
        super().__init__(detail)
        self.type = type_
        self.detail = detail

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.type]
