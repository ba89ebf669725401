"""POST /api/v1/backups: the CLI's backup, made by the service while it owns the warehouse.

A client names at most one sub-folder: backups go under <warehouse folder>/backups/[dir]/, never
to a path of the client's choosing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from attribution.api.auth import require
from attribution.registry.tokens import TokenInfo
from attribution.service.pipeline import Pipeline
from attribution.warehouse.backup import api_folder

router = APIRouter(prefix="/api/v1", tags=["backups"])


class BackupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dir: str | None = Field(
        None,
        description="A folder name under backups/ beside the warehouse file (letters, digits, "
        "'.', '_', '-'); none: backups/ itself",
        examples=["nightly"],
    )


@router.post(
    "/backups",
    status_code=201,
    summary="Back up the whole warehouse into backups/[dir]/<name>/ beside the warehouse file",
)
async def create_backup(
    request: Request,
    _: Annotated[TokenInfo, Depends(require("post"))],
    body: BackupRequest | None = None,
) -> dict[str, Any]:
    pipeline: Pipeline = request.app.state.pipeline
    parent = api_folder(pipeline.warehouse.path, body.dir if body else None)
    made = await run_in_threadpool(pipeline.backup, parent)
    return {"status": True, **made.summary()}
