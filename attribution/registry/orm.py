"""SQLAlchemy models of the API tokens' table (it comes from sql/schema/; the lead sources are
written with the statements of sql/registry/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Sequence
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

_tokens_seq = Sequence("api_tokens_id_seq")


class Base(DeclarativeBase):
    pass


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
