"""The middleware API and web app (FastAPI). `create_app(settings)` is the only entry."""

from openteller.api.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
