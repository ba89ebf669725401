"""Token authentication: header `authtoken` (any case), `?authtoken=`, or a Bearer token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from ..tokens import TokenChecker, TokenInfo
from .errors import ApiError

MISSING = "Token is not defined."
INVALID = "Invalid token."
# The original's spelling ("necessay"), kept for clients that match on it.
FORBIDDEN = "Your API token does not have the necessay permissions for the requested operation"


def token_of(request: Request) -> str | None:
    token = request.headers.get("authtoken") or request.query_params.get("authtoken")
    if not token:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
    return token or None


def require(capability: str | None) -> Callable[[Request], TokenInfo]:
    """A dependency that admits a valid token holding `capability` (None: any valid token)."""

    def dependency(request: Request) -> TokenInfo:
        compat = request.app.state.settings.api.compat_404
        checker: TokenChecker = request.app.state.tokens
        token = token_of(request)
        if token is None:
            raise ApiError(404 if compat else 401, MISSING)
        info = checker.check(token)
        if info is None:
            raise ApiError(404 if compat else 401, INVALID)
        if capability is not None and capability not in info.capabilities:
            raise ApiError(403, FORBIDDEN)
        return info

    return dependency
