"""What the audit log keeps of free text a person wrote."""

from __future__ import annotations


def free_text(name: str, value: str | None) -> dict[str, int]:
    """What the audit log keeps of a person's free text (a completion note, a cancel or hold
    reason): its length, never its words. Such text may hold PHI, and the audit log cannot be
    edited or deleted (HIPAA minimum necessary, 45 CFR 164.502(b)); the words stay in the
    engagement's timeline, which retention can erase."""
    return {f"{name}_chars": len(value)} if value else {}
