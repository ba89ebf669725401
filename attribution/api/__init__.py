"""The HTTP API: the CRM-compatible lead_sources contract and /api/v1/."""

from attribution.api.app import create_app

__all__ = ["create_app"]
