"""Tenancy: which firms a caller may see. Every repository query of firm data takes a Scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true


@dataclass(frozen=True)
class Scope:
    """`firm_id=None` means BPO staff (admin, manager, clerk) who work across firms."""

    firm_id: uuid.UUID | None

    @classmethod
    def everything(cls) -> Scope:
        return cls(firm_id=None)

    def allows(self, firm_id: uuid.UUID | None) -> bool:
        return self.firm_id is None or self.firm_id == firm_id

    def filter(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause restricting `column` (a firm_id column) to this scope."""
        if self.firm_id is None:
            return true()
        result: ColumnElement[bool] = column == self.firm_id
        return result
