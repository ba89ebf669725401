"""`attribution jobs ...` (list, run, history, the scheduler on its own) and `attribution serve`
(the HTTP API with the scheduler)."""

from __future__ import annotations

import gc
import json
import signal
import sys
import threading
from types import FrameType

import click

from attribution.cli.app import PYTHON_GC
from attribution.cli.common import out, settings_of
from attribution.cli.tables import FORMATS as TABLE_FORMATS
from attribution.errors import AttributionError, PortInUseError


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs from config.yaml (jobs.definitions): list, run, history, daemon.

    \b
    Example:
      attribution jobs list
      attribution jobs run weekly-report
    """


@jobs_group.command("list")
@click.pass_context
def jobs_list(ctx: click.Context) -> None:
    """Each job: its schedule, steps, next run and last run.

    \b
    Example:
      attribution jobs list
    """
    from attribution.cli.tables import Column, print_table
    from attribution.service.pipeline import Pipeline
    from attribution.service.scheduler import Jobs

    with Pipeline.open(settings_of(ctx)) as pipe:
        jobs = Jobs(pipe)
        nxt = jobs.next_runs()
        last = {str(r["job"]): r for r in pipe.warehouse.records("jobs/last_runs")}
    if not jobs.definitions:
        out.print("No jobs are configured: add them under jobs.definitions in config.yaml.")
        return
    columns = [
        Column("job"),
        Column("cron (zone)", wrap=True),
        Column("steps", wrap=True),
        Column("next run (UTC)"),
        Column("last run", wrap=True),
    ]
    cells = []
    for name, job in jobs.definitions.items():
        prev = last.get(name)
        cells.append(
            [
                name if job.enabled else f"{name} (disabled)",
                f"{job.cron} ({job.timezone})",
                " > ".join(job.steps),
                str(nxt[name] or "-")[:16],
                f"{prev['status']} {str(prev['started_at'])[:16]}" if prev else "-",
            ]
        )
    print_table(columns, cells)


@jobs_group.command("run")
@click.argument("name")
@click.pass_context
def jobs_run(ctx: click.Context, name: str) -> None:
    """Run a job now, in this process (the warehouse must not be held by `attribution serve`;
    while it runs, use POST /api/v1/jobs/NAME/run instead). Exit code 1 if it failed.

    \b
    Example:
      attribution jobs run weekly-report
    """
    from attribution.service.pipeline import Pipeline
    from attribution.service.scheduler import Jobs

    with Pipeline.open(settings_of(ctx)) as pipe:
        result = Jobs(pipe).run(name)
    out.print(
        f"job {name} run {result.run_no}: {result.status}"
        + (f": {result.error}" if result.error else ""),
        highlight=False,
    )
    for step, output in result.outputs.items():
        out.print(f"  {step}: {json.dumps(output, default=str)}", highlight=False)
    if result.status == "failed":
        ctx.exit(1)


HISTORY_COLUMNS = (
    "run_no",
    "job",
    "scheduled_for",
    "trigger",
    "started_at",
    "finished_at",
    "status",
    "error",
    "outputs",
    "pid",
)


@jobs_group.command("history")
@click.argument("name", required=False)
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS),
    default="table",
    show_default=True,
    help="Output: a table, CSV with a header row (outputs as JSON text), or JSON.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON (--format json).")
@click.pass_context
def jobs_history(ctx: click.Context, name: str | None, limit: int, fmt: str, as_json: bool) -> None:
    """The latest runs, newest first (of one job, or all).

    \b
    Example:
      attribution jobs history weekly-report --limit 5
      attribution jobs history --format csv > runs.csv
    """
    from attribution.cli.tables import Column, dump, print_table
    from attribution.service.pipeline import Pipeline
    from attribution.service.scheduler import history

    with Pipeline.open(settings_of(ctx)) as pipe:
        rows = history(pipe, name, limit)
    if as_json or fmt == "json":
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    if fmt == "csv":
        for r in rows:
            r["outputs"] = None if r["outputs"] is None else json.dumps(r["outputs"], default=str)
        click.echo(dump(rows, fmt, HISTORY_COLUMNS), nl=False)
        return
    if not rows:
        out.print(f"no runs of {name} yet" if name else "no job runs yet", highlight=False)
        return
    columns = [
        Column("run", numeric=True),
        Column("job"),
        Column("for (UTC)"),
        Column("trigger"),
        Column("started (UTC)"),
        Column("ended (UTC)"),
        Column("status"),
        Column("error", wrap=True),
    ]
    cells = [
        [
            str(r["run_no"]),
            str(r["job"]),
            str(r["scheduled_for"])[:16],
            str(r["trigger"]),
            str(r["started_at"])[:19],
            str(r["finished_at"] or "")[:19],
            str(r["status"]),
            str(r["error"] or ""),
        ]
        for r in rows
    ]
    print_table(columns, cells, whole="--format csv or json prints it whole")


@jobs_group.command("daemon")
@click.pass_context
def jobs_daemon(ctx: click.Context) -> None:
    """Run the scheduler alone (without the API) until stopped with Ctrl-C or SIGTERM.

    \b
    Example:
      attribution jobs daemon
    """
    from attribution.service.pipeline import Pipeline
    from attribution.service.scheduler import JobRun, Jobs

    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)

    def report(run: JobRun) -> None:
        out.print(
            f"job {run.job} run {run.run_no} for {run.scheduled_for} UTC ({run.trigger}): "
            f"{run.status}" + (f": {run.error}" if run.error else ""),
            highlight=False,
        )

    with Pipeline.open(settings_of(ctx)) as pipe:
        jobs = Jobs(pipe, notify=report)
        jobs.start()
        out.print(f"scheduler running {len(jobs.definitions)} job(s); Ctrl-C stops it")
        for name, when in jobs.next_runs().items():
            out.print(f"  {name}: next run {when} UTC", highlight=False)
        stop.wait()
        out.print("stopping: waiting for running jobs to finish")
        jobs.shutdown(wait=True)


def check_port(host: str, port: int) -> None:
    """Bind every address of host:port as the server will (SO_REUSEADDR), then let go; a
    clear error if one is taken or not allowed."""
    import errno
    import socket

    where = f"{host}:{port}"
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise AttributionError(
            f"cannot listen on {where}: the address is unknown ({exc.strerror}); give another "
            "with --host (api.host)"
        ) from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUseError(
                        f"port {port} on {host} is in use by another program (perhaps another "
                        f"`attribution serve`); stop it, or choose another port with --port "
                        f"(api.port), e.g. --port {port + 1 if port < 65535 else 8000}"
                    ) from None
                raise AttributionError(
                    f"cannot listen on {where}: {exc.strerror}; choose another --port or --host"
                    + (" (ports below 1024 need root)" if exc.errno == errno.EACCES else "")
                ) from None


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: api.host).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: api.port)."
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the HTTP API, and the scheduled jobs (jobs.run_in_serve); it owns the warehouse.
    A port already in use stops it at once (exit code 5).

    \b
    Example:
      attribution serve --port 8000
      curl -H "authtoken: $TOKEN" http://127.0.0.1:8000/api/lead_sources
    """
    settings = settings_of(ctx)
    host = host or settings.api.host
    port = port or settings.api.port
    check_port(host, port)  # before the imports and the warehouse: a busy port fails at once

    import uvicorn

    from attribution.api import create_app
    from attribution.api.logs import log_config
    from attribution.service.pipeline import Pipeline
    from attribution.service.scheduler import Jobs

    # Worker threads drop the GIL for every DuckDB statement and must take it back from the
    # event loop, which holds it while it serves cached reads. With Python's 5 ms switch
    # interval a registry update that takes 3 ms alone took 16 to 22 ms beside a busy thread;
    # with 1 ms, 12 ms (0.5 ms gained nothing more).
    sys.setswitchinterval(0.001)
    # A server lives long and its requests make short-lived cycles: collected at Python's pace.
    gc.set_threshold(*PYTHON_GC)
    with Pipeline.open(settings) as pipe:
        jobs = Jobs(pipe)
        if settings.jobs.run_in_serve and jobs.definitions:
            jobs.start()
        app = create_app(pipe, jobs)
        try:
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level="info",
                log_config=log_config(),  # tokens in ?authtoken= never reach the log
                # X-Forwarded-For decides the client address that failed tokens are counted
                # against: believed only from the proxies named in api.trusted_proxies.
                proxy_headers=bool(settings.api.trusted_proxies),
                forwarded_allow_ips=settings.api.trusted_proxies or None,
            )
        except SystemExit as exc:
            # uvicorn exits 3 when it cannot start, which here means the warehouse is in use.
            if exc.code == 3:
                raise AttributionError(
                    f"the HTTP server did not start on {host}:{port}: see its log above"
                ) from None
            raise
        finally:
            jobs.shutdown(wait=True)  # and closing the pipeline waits for a publish
