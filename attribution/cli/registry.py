"""`attribution sources`: the registry of lead sources (an adapter over registry.sources)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from attribution.cli.common import command_line, out, settings_of
from attribution.errors import (
    AttributionError,
    ConflictError,
    InUseError,
    InvalidFieldsError,
    NotFoundError,
)

if TYPE_CHECKING:
    from attribution.registry.schemas import SourceUpdate


def _fields(raw: dict[str, Any], *, creating: bool) -> SourceUpdate:
    from attribution.registry.schemas import SourceUpdate

    fields, errors = SourceUpdate.parse(raw, creating=creating)
    if errors:
        raise InvalidFieldsError(errors)
    return fields


def _field_options(func: Any) -> Any:
    from attribution.registry.schemas import FIELDS

    for name in reversed(FIELDS):
        flag = "--" + name.replace("_", "-")
        if name == "active":
            func = click.option("--active/--retired", default=None, help="Active or retired.")(func)
        elif name != "name":
            func = click.option(flag, name, default=None, help=f"The source's {name}.")(func)
    return func


@click.group()
def sources() -> None:
    """Keep the registry of lead sources: where every lead came from.

    \b
    Example:
      attribution sources list --search google
      attribution sources add "LinkedIn Ads" --channel "Paid Social"
    """


@sources.command("list")
@click.option("--search", help="Text in name, channel or UTM values.")
@click.option("--channel", help="Only this channel.")
@click.option("--active/--retired", "active", default=None, help="Only active or retired ones.")
@click.option("--sort", default="name", show_default=True, help="name, -name, id, lead_count, ...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def sources_list(
    ctx: click.Context,
    search: str | None,
    channel: str | None,
    active: bool | None,
    sort: str,
    as_json: bool,
) -> None:
    """List lead sources with their lead counts.

    \b
    Example:
      attribution sources list --channel "Paid Search" --sort -lead_count
    """
    from rich.table import Table
    from rich.text import Text

    from attribution.cli.tables import printable
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        items, _ = registry.list_sources(
            pipe.warehouse, search=search, channel=channel, active=active, sort=sort
        )
    if as_json:
        click.echo(json.dumps([i.model_dump(mode="json") for i in items], indent=2))
        return
    table = Table("id", "name", "channel", "utm", "active", "leads")
    for i in items:
        utm = "/".join(v or "-" for v in (i.utm_source, i.utm_medium, i.utm_campaign))
        # Names are data: escaped control characters, never read as rich markup.
        texts = [printable(str(v)) for v in (i.id, i.name, i.channel, utm)]
        table.add_row(*map(Text, texts), "yes" if i.active else "retired", f"{i.lead_count:,}")
    out.print(table)


@sources.command("show")
@click.argument("source_id", type=int)
@click.pass_context
def sources_show(ctx: click.Context, source_id: int) -> None:
    """Show one lead source as JSON.

    \b
    Example:
      attribution sources show 1
    """
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        found = registry.require_source(pipe.warehouse, source_id=source_id)
    click.echo(json.dumps(found.model_dump(mode="json"), indent=2))


@sources.command("add")
@click.argument("name")
@_field_options
@click.pass_context
def sources_add(ctx: click.Context, /, name: str, **fields: Any) -> None:
    """Add a lead source.

    \b
    Example:
      attribution sources add "Google Ads" --channel "Paid Search" \\
          --utm-source google --utm-medium cpc
    """
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    given = {k: v for k, v in fields.items() if v is not None}
    with Pipeline.open(settings_of(ctx)) as pipe:
        new_id = registry.create_source(
            pipe.warehouse, fields=_fields({"name": name, **given}, creating=True)
        )
    out.print(f"Lead Source add successful: id {new_id}", highlight=False)


@sources.command("edit")
@click.argument("source_id", type=int)
@click.option("--name", default=None, help="A new name.")
@_field_options
@click.pass_context
def sources_edit(ctx: click.Context, /, source_id: int, **fields: Any) -> None:
    """Change fields of a lead source.

    \b
    Example:
      attribution sources edit 3 --channel Referral --utm-source partner
    """
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise AttributionError("nothing to change: give --name, --channel, --utm-source, ...")
    with Pipeline.open(settings_of(ctx)) as pipe:
        found = registry.update_source(
            pipe.warehouse, source_id=source_id, fields=_fields(given, creating=False)
        )
    if not found:
        raise NotFoundError(f"Lead Source Update Fail: no lead source with id {source_id}")
    out.print("Lead Source Update Successful.")


@sources.command("retire")
@click.argument("source_ids", type=int, nargs=-1, required=True)
@click.pass_context
def sources_retire(ctx: click.Context, source_ids: tuple[int, ...]) -> None:
    """Retire sources: they keep their history and leave pick lists.

    \b
    Example:
      attribution sources retire 4 5
    """
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        done = registry.bulk_action(pipe.warehouse, action="deactivate", ids=list(source_ids))
    out.print(f"retired {done} lead sources")


@sources.command("delete")
@click.argument("source_id", type=int)
@click.pass_context
def sources_delete(ctx: click.Context, source_id: int) -> None:
    """Delete a lead source that no data names (otherwise retire it).

    \b
    Example:
      attribution sources delete 7
    """
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    settings = settings_of(ctx)
    with Pipeline.open(settings) as pipe:
        try:
            found = registry.delete_source(
                pipe.warehouse,
                source_id=source_id,
                default_source=settings.registry.default_source,
            )
        except InUseError as exc:
            raise AttributionError(
                f"{exc} Retire it instead: "
                + command_line(ctx, "sources", "retire", str(source_id))
            ) from None
    if not found:
        raise NotFoundError(f"Lead Source Delete Fail: no lead source with id {source_id}")
    out.print("Lead Source Delete Successful.")


@sources.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def sources_import(ctx: click.Context, file: Path) -> None:
    """Add the sources of a CSV file (columns: name, channel, utm_source, ...); skip known names.

    \b
    Example:
      attribution sources import sources.csv
    """
    from attribution.registry import sources as registry
    from attribution.registry.schemas import SourceUpdate
    from attribution.service.pipeline import Pipeline

    with file.open(encoding="utf-8-sig", newline="") as fh:
        rows = [{k.strip().lower(): v for k, v in row.items() if k} for row in csv.DictReader(fh)]
    parsed = []
    for number, row in enumerate(rows, start=2):
        fields, errors = SourceUpdate.parse(row, creating=True)
        if errors:
            raise AttributionError(f"{file.name} line {number}: {' '.join(errors.values())}")
        parsed.append(fields)
    added = skipped = 0
    with Pipeline.open(settings_of(ctx)) as pipe:
        for fields in parsed:
            try:
                registry.create_source(pipe.warehouse, fields=fields)
                added += 1
            except ConflictError as exc:
                out.print(f"skipped: {exc}", highlight=False)
                skipped += 1
    out.print(f"{added} lead sources added, {skipped} skipped")


@sources.command("export")
@click.option(
    "--out",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.pass_context
def sources_export(ctx: click.Context, target: Path | None) -> None:
    """Export every lead source as CSV (the columns `import` reads).

    \b
    Example:
      attribution sources export --out sources.csv
    """
    from attribution.registry import sources as registry
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        items, _ = registry.list_sources(pipe.warehouse)
    if target is None:
        registry.write_csv(items, sys.stdout)
        return
    with target.open("w", encoding="utf-8", newline="") as fh:
        registry.write_csv(items, fh)
