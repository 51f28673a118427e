"""The web console: server-rendered pages for clerks, managers and partners (see routes.py)."""

from api.console.routes import install

__all__ = ["install"]
