"""SQLAlchemy models of the registry's tables (the tables themselves come from sql/schema/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Sequence
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

_sources_seq = Sequence("lead_sources_id_seq")
_tokens_seq = Sequence("api_tokens_id_seq")


class Base(DeclarativeBase):
    pass


class LeadSource(Base):
    __tablename__ = "lead_sources"

    id: Mapped[int] = mapped_column(
        _sources_seq, primary_key=True, server_default=_sources_seq.next_value()
    )
    name: Mapped[str]
    name_key: Mapped[str]
    channel: Mapped[str]
    utm_source: Mapped[str | None]
    utm_medium: Mapped[str | None]
    utm_campaign: Mapped[str | None]
    active: Mapped[bool]
    auto_created: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(
        _tokens_seq, primary_key=True, server_default=_tokens_seq.next_value()
    )
    name: Mapped[str]
    token_sha256: Mapped[str]
    prefix: Mapped[str]
    capabilities: Mapped[str]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
