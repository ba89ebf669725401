"""POST /api/v1/backups: the CLI's backup, made by the service while it owns the warehouse.

A client names at most one sub-folder: backups go under <warehouse folder>/backups/[dir]/, never
to a path of the client's choosing. Backups need the `backup` capability (not implied by
`post`), run one at a time, at most `api.backups_per_hour` in an hour, and only the newest
`api.backups_keep` are kept in a folder."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from attribution.api.auth import require
from attribution.api.errors import ApiError
from attribution.registry.tokens import TokenInfo
from attribution.service.pipeline import Pipeline
from attribution.warehouse.backup import Backup, api_folder, prune

router = APIRouter(prefix="/api/v1", tags=["backups"])
HOUR = 3600.0


class BackupLimiter:
    """One backup at a time, and at most `per_hour` started in any hour (429 with Retry-After)."""

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_hour, self.clock = per_hour, clock
        self._started: deque[float] = deque()
        self._lock = threading.Lock()
        self.running = threading.Lock()

    def start(self) -> None:
        """Take the one backup slot, or raise 429."""
        if not self.running.acquire(blocking=False):
            raise ApiError(
                429, "A backup is under way; try again when it ends.", headers={"Retry-After": "5"}
            )
        with self._lock:
            now = self.clock()
            while self._started and self._started[0] <= now - HOUR:
                self._started.popleft()
            if len(self._started) >= self.per_hour:
                self.running.release()
                wait = max(1, math.ceil(self._started[0] + HOUR - now))
                raise ApiError(
                    429,
                    f"{self.per_hour} backups were made in the last hour (api.backups_per_hour); "
                    f"try again in {wait} s.",
                    headers={"Retry-After": str(wait)},
                )
            self._started.append(now)


class BackupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dir: str | None = Field(
        None,
        description="A folder name under backups/ beside the warehouse file (letters, digits, "
        "'.', '_', '-'); none: backups/ itself",
        examples=["nightly"],
    )


def _backup_and_prune(pipeline: Pipeline, parent: Path, keep: int) -> Backup:
    made = pipeline.backup(parent)
    prune(made.path.parent, pipeline.warehouse.path.stem, keep)
    return made


@router.post(
    "/backups",
    status_code=201,
    summary="Back up the whole warehouse into backups/[dir]/<name>/ beside the warehouse file",
)
async def create_backup(
    request: Request,
    _: Annotated[TokenInfo, Depends(require("backup"))],
    body: BackupRequest | None = None,
) -> dict[str, Any]:
    pipeline: Pipeline = request.app.state.pipeline
    parent = api_folder(pipeline.warehouse.path, body.dir if body else None)
    limiter: BackupLimiter = request.app.state.backups
    limiter.start()
    try:
        made = await run_in_threadpool(
            _backup_and_prune, pipeline, parent, pipeline.settings.api.backups_keep
        )
    finally:
        limiter.running.release()
    return {"status": True, **made.summary()}
