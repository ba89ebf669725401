"""`attribution tokens`: create, list and revoke the API's tokens."""

from __future__ import annotations

import click

from attribution.cli.common import out, settings_of


@click.group("tokens")
def tokens_group() -> None:
    """Create, list and revoke API tokens.

    \b
    Example:
      attribution tokens create crm-sync --can get,post
    """


@tokens_group.command("create")
@click.argument("name")
@click.option(
    "--can",
    "can",
    default="get,post,put,delete",
    show_default=True,
    help="Capabilities, comma-separated: get, post, put, delete, backup (POST /api/v1/backups), "
    "admin (create, list and revoke tokens over /api/v1/tokens).",
)
@click.pass_context
def tokens_create(ctx: click.Context, name: str, can: str) -> None:
    """Create a token; it is shown once, only its hash is kept.

    \b
    Example:
      attribution tokens create reporting --can get
    """
    from attribution.registry import tokens
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        token, info = tokens.create_token(
            pipe.warehouse, name=name, capabilities=tokens.parse_capabilities(can)
        )
    out.print(
        f"token {info.name!r} ({', '.join(info.capabilities)}); store it now, "
        "it is not shown again:",
        highlight=False,
    )
    click.echo(token)


@tokens_group.command("list")
@click.pass_context
def tokens_list(ctx: click.Context) -> None:
    """List tokens (never their secret).

    \b
    Example:
      attribution tokens list
    """
    from rich.table import Table

    from attribution.registry import tokens
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        found = tokens.list_tokens(pipe.warehouse)
    table = Table("name", "starts with", "can", "created", "last used", "revoked")
    for t in found:
        table.add_row(
            t.name,
            t.prefix + "…",
            ",".join(t.capabilities),
            str(t.created_at)[:19],
            str(t.last_used_at or "")[:19],
            str(t.revoked_at or "")[:19],
        )
    out.print(table)


@tokens_group.command("revoke")
@click.argument("name")
@click.pass_context
def tokens_revoke(ctx: click.Context, name: str) -> None:
    """Revoke a token at once.

    \b
    Example:
      attribution tokens revoke crm-sync
    """
    from attribution.registry import tokens
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        info = tokens.revoke_token(pipe.warehouse, name=name)
    out.print(f"token {info.name!r} revoked")
