"""API tokens: random, shown once, stored only as a SHA-256, limited to capabilities."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from attribution import clock
from attribution.errors import AttributionError, ConflictError, NotFoundError
from attribution.registry.orm import ApiToken
from attribution.warehouse.connection import Warehouse

# backup: POST /api/v1/backups, not implied by post (a backup costs disk and time).
# admin: create, list and revoke tokens over /api/v1/tokens; never implied, never a default.
CAPABILITIES = ("get", "post", "put", "delete", "backup", "admin")
DEFAULT_CAPABILITIES = ("get", "post", "put", "delete")  # a new token's, unless named
PREFIX = "attr_"
_LAST_USED_EVERY = 60.0  # seconds between writes of a token's last-used time


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    capabilities: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_digest(token: str) -> str:
    """The SHA-256 a token is known by (what is stored, and what an admin session keeps)."""
    return _digest(token)


def _info(t: ApiToken) -> TokenInfo:
    caps = tuple(c for c in t.capabilities.split(",") if c)
    return TokenInfo(t.id, t.name, t.prefix, caps, t.created_at, t.last_used_at, t.revoked_at)


def parse_capabilities(text: str | Iterable[str]) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    caps = tuple(dict.fromkeys(c.strip().lower() for c in items if c.strip()))
    unknown = [c for c in caps if c not in CAPABILITIES]
    if unknown or not caps:
        got = ", ".join(unknown) or "none"
        raise AttributionError(f"capabilities must be some of {', '.join(CAPABILITIES)}; got {got}")
    return caps


def create_token(
    wh: Warehouse, *, name: str, capabilities: Iterable[str] = DEFAULT_CAPABILITIES
) -> tuple[str, TokenInfo]:
    """A new token (shown once: only its hash is kept) and its record."""
    clean = name.strip()
    if not clean:
        raise AttributionError("a token needs a name, e.g. 'crm-sync'")
    caps = parse_capabilities(capabilities)
    token = PREFIX + secrets.token_urlsafe(32)  # 32 random bytes
    now = clock.utc_now()
    with wh.writing("tokens"), wh.sessions()() as session:
        row = ApiToken(
            name=clean,
            token_sha256=_digest(token),
            prefix=token[: len(PREFIX) + 6],
            capabilities=",".join(caps),
            created_at=now,
            last_used_at=None,
            revoked_at=None,
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            raise ConflictError(f"a token named {clean!r} exists; pick another name") from None
        return token, _info(row)


def list_tokens(wh: Warehouse) -> list[TokenInfo]:
    with wh.sessions()() as session:
        return [_info(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_token(wh: Warehouse, *, name: str) -> TokenInfo:
    with wh.writing("tokens"), wh.sessions()() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == name.strip()))
        if row is None:
            raise NotFoundError(f"no token named {name!r}; `attribution tokens list` shows them")
        if row.revoked_at is None:
            row.revoked_at = clock.utc_now()
            session.commit()
        return _info(row)


class TokenChecker:
    """Looks tokens up by hash, compares in constant time, records last use (throttled)."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self._touched: dict[int, float] = {}
        # digest -> (tokens generation, info): valid until a token is created or revoked
        self._known: dict[str, tuple[tuple[int, ...], TokenInfo | None]] = {}
        self._lock = threading.Lock()

    def check(self, token: str) -> TokenInfo | None:
        """The token's record when it is valid and not revoked, else None.

        Answers are cached until a token is created or revoked in this process."""
        return self.check_digest(_digest(token))

    def check_digest(self, digest: str) -> TokenInfo | None:
        """As check, for a token known by its SHA-256 only (an admin session keeps no token)."""
        generation = self.wh.generation("tokens")
        cached = self._known.get(digest)
        if cached is not None and cached[0] == generation:
            info = cached[1]
        else:
            info = self._lookup(digest)
            with self._lock:
                if len(self._known) > 10_000:
                    self._known.clear()
                self._known[digest] = (generation, info)
        if info is not None:
            self._record_use(info.id)
        return info

    def known(self, token: str) -> TokenInfo | None:
        """A valid token's record when it is answered from memory alone: cached since the last
        token was created or revoked, its last use recorded lately. None: ask check(), which
        may read or write the warehouse."""
        cached = self._known.get(_digest(token))
        if cached is None or cached[1] is None or cached[0] != self.wh.generation("tokens"):
            return None
        info = cached[1]
        with self._lock:
            recent = time.monotonic() - self._touched.get(info.id, -_LAST_USED_EVERY)
        return info if recent < _LAST_USED_EVERY else None

    def _lookup(self, digest: str) -> TokenInfo | None:
        with self.wh.sessions()() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest))
            if row is None or not hmac.compare_digest(row.token_sha256, digest):
                return None
            if row.revoked_at is not None:
                return None
            return _info(row)

    def _record_use(self, token_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(token_id, -_LAST_USED_EVERY) < _LAST_USED_EVERY:
                return
            self._touched[token_id] = now
        with self.wh.write_lock, self.wh.sessions()() as session:
            row = session.get(ApiToken, token_id)
            if row is not None:
                row.last_used_at = clock.utc_now()
                session.commit()
