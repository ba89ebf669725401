"""/api/v1/tokens: create, list and revoke API tokens while the service runs (the `tokens`
commands need the warehouse, which the service holds). Only a token with `admin` may call them,
and it may grant only capabilities it holds. The secret is in the creation's answer only: the
access log records the path, never a body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from attribution.api.auth import require
from attribution.api.errors import ApiError
from attribution.errors import NotFoundError
from attribution.registry import tokens
from attribution.registry.tokens import TokenInfo
from attribution.service.pipeline import Pipeline

router = APIRouter(prefix="/api/v1", tags=["tokens"])


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["crm-sync"])
    capabilities: list[str] = Field(
        min_length=1,
        max_length=len(tokens.CAPABILITIES),
        description=f"Some of {', '.join(tokens.CAPABILITIES)}; only ones the caller holds",
        examples=[["get", "post"]],
    )


class TokenPublic(BaseModel):
    """A token's record: never its secret."""

    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    capabilities: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: TokenInfo) -> TokenPublic:
        return cls(
            name=info.name,
            prefix=info.prefix,
            capabilities=list(info.capabilities),
            created_at=info.created_at,
            last_used_at=info.last_used_at,
            revoked_at=info.revoked_at,
        )


class TokenCreated(TokenPublic):
    status: bool = True
    token: str = Field(description="The secret: shown here once, only its SHA-256 is kept")


class TokenList(BaseModel):
    status: bool = True
    tokens: list[TokenPublic]


class TokenRevoked(TokenPublic):
    status: bool = True
    message: str


def _pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline = request.app.state.pipeline
    return pipeline


Admin = Annotated[TokenInfo, Depends(require("admin"))]


@router.post(
    "/tokens",
    status_code=201,
    summary="Create a token; its secret is in this answer only",
)
async def create_token(request: Request, caller: Admin, body: TokenCreate) -> TokenCreated:
    if not body.name.isprintable() or "/" in body.name:
        raise ApiError(
            422,
            f"A token's name is printable text without '/' (DELETE /api/v1/tokens/NAME takes it); "
            f"got {body.name!r}.",
        )
    wanted = tokens.parse_capabilities(body.capabilities)  # 422 for an unknown one
    lacking = [c for c in wanted if c not in caller.capabilities]
    if lacking:
        raise ApiError(
            403,
            f"This token cannot grant {', '.join(lacking)}: a token may grant only the "
            f"capabilities it holds ({', '.join(caller.capabilities)}).",
        )
    secret, info = await run_in_threadpool(
        tokens.create_token, _pipeline(request).warehouse, name=body.name, capabilities=wanted
    )
    return TokenCreated(**TokenPublic.of(info).model_dump(), token=secret)


@router.get("/tokens", summary="Every token, revoked ones too, without secrets")
async def list_tokens(request: Request, _: Admin) -> TokenList:
    found = await run_in_threadpool(tokens.list_tokens, _pipeline(request).warehouse)
    return TokenList(tokens=[TokenPublic.of(t) for t in found])


@router.delete("/tokens/{name}", summary="Revoke a token: refused from the next request on")
async def revoke_token(request: Request, name: str, _: Admin) -> TokenRevoked:
    try:
        info = await run_in_threadpool(tokens.revoke_token, _pipeline(request).warehouse, name=name)
    except NotFoundError:
        raise ApiError(404, f"No token named {name!r}; GET /api/v1/tokens lists them.") from None
    return TokenRevoked(
        **TokenPublic.of(info).model_dump(), message=f"Token {info.name!r} is revoked."
    )
