"""The API as a uvicorn factory (`uvicorn bench.api_app:app --factory`), so it can run workers."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from core.settings import load_settings


def app() -> FastAPI:
    return create_app(load_settings())
