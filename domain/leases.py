"""Messages of the lease sweeper: the workflow a Temporal Schedule runs every minute, its activity.

Stable wire names (never rename them); one model per message for the pydantic data converter.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

LEASE_SWEEPER_WORKFLOW = "LeaseSweeper"
ACT_EXPIRE_LEASES = "expire_leases"


class ExpireLeasesInput(BaseModel):
    batch: int = Field(default=500, ge=1, le=10_000)


class ExpireLeasesResult(BaseModel):
    returned: int = 0
    task_ids: list[str] = Field(default_factory=list)
