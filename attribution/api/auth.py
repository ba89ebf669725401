"""Token authentication: header `authtoken` (any case), `?authtoken=`, or a Bearer token."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from attribution.api.errors import ApiError
from attribution.registry.tokens import TokenChecker, TokenInfo

MISSING = "Token is not defined."
INVALID = "Invalid token."
# The original's spelling ("necessay"), kept for clients that match on it.
FORBIDDEN = "Your API token does not have the necessay permissions for the requested operation"


# The token's places as OpenAPI security schemes: /docs gets its Authorize button. They only
# document; token_of and checked_token decide (auto_error=False: no answer of their own).
HEADER_SCHEME = APIKeyHeader(
    name="authtoken",
    scheme_name="authtoken",
    description="The API token in the `authtoken` header (or `?authtoken=` in the query).",
    auto_error=False,
)
BEARER_SCHEME = HTTPBearer(
    scheme_name="bearer",
    description="The API token as `Authorization: Bearer TOKEN`.",
    auto_error=False,
)


async def documented_token(
    _header: Annotated[str | None, Security(HEADER_SCHEME)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)],
) -> None:
    """Declares the token's security schemes on a route; the checks are checked_token's.
    Async: it does nothing, so it runs on the event loop, not in a worker thread (a hop of its
    own on every request)."""


def token_of(request: Request) -> str | None:
    token = request.headers.get("authtoken") or request.query_params.get("authtoken")
    if not token:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
    return token or None


class FailureLimiter:
    """Failed token attempts per client address in a sliding window: past the limit, 429 with
    Retry-After until the oldest failure leaves the window (a guessing client is slowed to
    `limit` guesses per window; clients with a valid token are never counted)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, client: str) -> None:
        """Raise 429 when the client is over the limit."""
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if len(times) >= self.limit:
                wait = max(1, math.ceil(times[0] + self.window - now))
                raise ApiError(
                    429,
                    f"Too many failed token attempts from this address; try again in {wait} s.",
                    headers={"Retry-After": str(wait)},
                )
            if not times:
                self._failures.pop(client, None)  # keep the map small

    def fail(self, client: str) -> None:
        with self._lock:
            self._recent(client, self.clock()).append(self.clock())


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def checked_token(request: Request, token: str | None) -> TokenInfo:
    """The token's info, or 401 (404 in compat mode); failures count toward the client's limit
    and a client over it gets 429 before its token is even looked at."""
    compat = request.app.state.settings.api.compat_404
    limiter: FailureLimiter = request.app.state.auth_failures
    client = client_of(request)
    limiter.check(client)
    if token is None:
        limiter.fail(client)
        raise ApiError(404 if compat else 401, MISSING)
    checker: TokenChecker = request.app.state.tokens
    info = checker.check(token)
    if info is None:
        limiter.fail(client)
        raise ApiError(404 if compat else 401, INVALID)
    return info


def require(capability: str | None) -> Callable[[Request, None], Awaitable[TokenInfo]]:
    """A dependency that admits a valid token holding `capability` (None: any valid token).
    A token known in memory is admitted on the event loop; any other is checked in a worker
    thread (it may read the warehouse), as a sync dependency would be."""

    async def dependency(
        request: Request, _: Annotated[None, Depends(documented_token)]
    ) -> TokenInfo:
        token = token_of(request)
        checker: TokenChecker = request.app.state.tokens
        info = checker.known(token) if token is not None else None
        if info is not None:
            request.app.state.auth_failures.check(client_of(request))  # 429 comes first
        else:
            info = await run_in_threadpool(checked_token, request, token)
        if capability is not None and capability not in info.capabilities:
            raise ApiError(403, FORBIDDEN)
        return info

    return dependency
