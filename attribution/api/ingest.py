"""POST /api/v1/ingest/{kind}: the CLI's ingest, over HTTP, while the service owns the warehouse."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from attribution.api.auth import require
from attribution.api.errors import ApiError
from attribution.errors import IngestLimitError
from attribution.ingest.kinds import parse_map
from attribution.ingest.limits import Limits
from attribution.registry.tokens import TokenInfo
from attribution.service.pipeline import Pipeline

router = APIRouter(prefix="/api/v1", tags=["ingest"])
UPLOADS = ".uploads"  # beside the warehouse file: the service's own, not the shared /tmp
UPLOAD_PREFIX = "attribution-upload-"


def upload_folder(warehouse_path: Path) -> Path:
    """Where uploads are kept while they load: <warehouse folder>/.uploads/ (created)."""
    folder = warehouse_path.parent / UPLOADS
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def remove_stale_uploads(warehouse_path: Path) -> list[Path]:
    """Remove the uploads a killed service left behind (called at start); returns them."""
    folder = warehouse_path.parent / UPLOADS
    stale = sorted(folder.glob(UPLOAD_PREFIX + "*")) if folder.is_dir() else []
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return stale


_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl", "crm": ".csv"}


@router.post("/ingest/{kind}", summary="Load a file upload (field `file`) or a JSON array")
async def ingest(
    request: Request,
    kind: Literal["leads", "touches", "revenue", "spend"],
    _: Annotated[TokenInfo, Depends(require("post"))],
    file_format: Annotated[
        Literal["auto", "csv", "parquet", "jsonl", "crm"], Query(alias="format")
    ] = "auto",
    map: Annotated[list[str] | None, Query(description="OLD=NEW column renames")] = None,
) -> dict[str, Any]:
    pipeline: Pipeline = request.app.state.pipeline
    column_map = parse_map(map or [])
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    reader: str = file_format
    uploads = upload_folder(pipeline.warehouse.path)
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=uploads) as tmp:
        if content_type == "multipart/form-data":
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(422, "Send the file in the multipart field `file`.")
            name = Path(upload.filename or "").name.strip(". ")[:200] or "upload"
            if Path(name).suffix == "" and file_format != "auto":
                name += _SUFFIX[file_format]
            # Saved under a fixed name (the client's name is only recorded): any file name works.
            path = Path(tmp) / ("upload" + Path(name).suffix[:16])
            with path.open("wb") as out:
                while chunk := await upload.read(1 << 20):
                    out.write(chunk)
        elif content_type in ("application/json", ""):
            body = await request.body()
            if not body.lstrip().startswith(b"["):
                raise ApiError(422, "Send a JSON array of records, or a file in the field `file`.")
            name = "records.json"
            path = Path(tmp) / name
            path.write_bytes(body)
            reader = "json_array"
        else:
            raise ApiError(
                415, f"Unsupported content type {content_type!r}: use JSON or multipart."
            )
        try:
            summary = await run_in_threadpool(
                pipeline.ingest,
                kind,
                path,
                file_format=reader,
                column_map=column_map,
                display_name=name,
                limits=Limits.upload(request.app.state.settings),
            )
        except IngestLimitError as exc:
            raise ApiError(413, str(exc)) from None
    publisher = request.app.state.publisher
    if publisher is not None and (summary.loaded or summary.updated):
        publisher.request()  # analysts see the new rows in the snapshot shortly
    return {"status": True, **summary.as_dict()}
