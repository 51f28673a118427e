"""The one way a process reaches Temporal: the production data converter and a client factory."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from core.settings import Settings


def data_converter() -> DataConverter:
    """Pydantic models on the wire; replay tests must use this same converter."""
    return pydantic_data_converter


async def connect(settings: Settings) -> Client:
    """One client per process (made in the API lifespan or the worker's main), never per request."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(),
    )
