"""Admin page sessions: kept in memory, found by a random id in an HTTP-only SameSite=Strict
cookie; each holds the signed-in token's name, capabilities and SHA-256 (never the token), a
CSRF token for its forms, and the flash messages of the next page.

A session ends at sign-out, after admin.session_hours, or as soon as its token is revoked (the
token's hash is checked again on every request). Sessions do not survive a restart."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request, Response

from attribution.config import AdminSettings
from attribution.registry.tokens import TokenChecker, TokenInfo

COOKIE = "attribution_admin"  # path "/": it also admits the session to /reports/
SIGN_IN_COOKIE = "attribution_admin_signin"  # the sign-in form's CSRF token, before a session
SIGN_IN_PATH = "/admin/sign-in"
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class Flash:
    """A message for the next page: kind is "ok" or "error"; details are listed under it."""

    kind: str
    text: str
    details: tuple[str, ...] = ()


@dataclass
class AdminSession:
    id: str
    token_name: str
    token_digest: str
    capabilities: tuple[str, ...]
    csrf: str
    expires: float
    flashes: list[Flash] = field(default_factory=list)


class SessionStore:
    """The signed-in sessions of this process, by id; safe to use from many threads."""

    def __init__(self, settings: AdminSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock  # tests move time forward
        self._sessions: dict[str, AdminSession] = {}
        self._lock = threading.Lock()

    @property
    def lifetime(self) -> float:
        return self.settings.session_hours * 3600

    def start(self, info: TokenInfo, digest: str) -> AdminSession:
        """A new session (a fresh id: never one the browser brought) for a checked token."""
        now = self.clock()
        session = AdminSession(
            id=secrets.token_urlsafe(32),
            token_name=info.name,
            token_digest=digest,
            capabilities=info.capabilities,
            csrf=secrets.token_urlsafe(32),
            expires=now + self.lifetime,
        )
        with self._lock:
            for sid in [s.id for s in self._sessions.values() if s.expires <= now]:
                del self._sessions[sid]
            if len(self._sessions) >= MAX_SESSIONS:  # the oldest sign-in goes first
                del self._sessions[min(self._sessions.values(), key=lambda s: s.expires).id]
            self._sessions[session.id] = session
        return session

    def get(self, sid: str | None) -> AdminSession | None:
        """The unexpired session of that id, or None."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is not None and session.expires <= self.clock():
                del self._sessions[sid]
                return None
            return session

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def flash(self, session: AdminSession, message: Flash) -> None:
        with self._lock:
            session.flashes.append(message)

    def take_flashes(self, session: AdminSession) -> list[Flash]:
        with self._lock:
            taken, session.flashes = session.flashes, []
            return taken


def store_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.admin_sessions
    return store


def current(request: Request) -> AdminSession | None:
    """The request's signed-in session, its capabilities as its token's now; None when there
    is none, it expired, or its token was revoked (which ends it)."""
    store: SessionStore | None = getattr(request.app.state, "admin_sessions", None)
    if store is None:
        return None
    session = store.get(request.cookies.get(COOKIE))
    if session is None:
        return None
    checker: TokenChecker = request.app.state.tokens
    info = checker.check_digest(session.token_digest)
    if info is None:
        store.end(session.id)
        return None
    session.capabilities = info.capabilities
    return session


def same(expected: str, given: object) -> bool:
    """Constant-time comparison of a CSRF token with what a form sent (any type)."""
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected, given)


def set_cookie(response: Response, name: str, value: str, settings: AdminSettings) -> None:
    """An HTTP-only, SameSite=Strict cookie, Secure when admin.secure_cookies is on."""
    path, max_age = ("/", int(settings.session_hours * 3600))
    if name == SIGN_IN_COOKIE:
        path, max_age = SIGN_IN_PATH, 3600
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def clear_cookie(response: Response, settings: AdminSettings) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies
    )
