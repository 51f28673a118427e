"""A failing statement's parameters (client data, PHI) stay out of error texts and logs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.settings import Settings
from store.db import make_engine


async def test_a_failed_statement_does_not_echo_its_parameters(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    secret = "Jane Roe DOB 1961-04-02"
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as failure:
                await connection.execute(text("SELECT CAST(:v AS integer)"), {"v": secret})
    finally:
        await engine.dispose()
    assert "hidden due to hide_parameters" in str(failure.value)
    assert "1961-04-02" not in str(failure.value).split("[SQL:")[-1]
