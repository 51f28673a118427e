from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from domain.catalog import builtin_templates
from domain.enums import Role
from tests.harness import Stack, running_stack


def every_skill() -> list[str]:
    skills = set()
    for template in builtin_templates().values():
        for step in template.iter_steps():
            skill = getattr(step, "skill", None)
            if skill:
                skills.add(skill)
    return sorted(skills)


@pytest.fixture
async def floor(settings: Settings) -> AsyncIterator[Stack]:
    """A BPO floor: a manager, four clerks with every skill, and a firm with its partner."""
    async with running_stack(settings) as stack:
        skills = every_skill()
        await stack.add_user("maria", Role.MANAGER, skills)
        for clerk in ("ana", "ben", "cara", "dev"):
            await stack.add_user(clerk, Role.CLERK, skills)
        firm_id = await stack.create_firm("maria")
        await stack.add_user("paula", Role.PARTNER, firm=firm_id)
        stack.user_ids["firm"] = firm_id
        yield stack
