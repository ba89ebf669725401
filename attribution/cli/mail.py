"""`attribution mail`: email a built report by hand (an adapter over reporting.mailer)."""

from __future__ import annotations

from pathlib import Path

import click

from attribution.cli.common import out, settings_of


@click.command("mail")
@click.argument("report_folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--to", "to", required=True, help="Recipients, comma-separated.")
@click.option(
    "--job", default="manual", show_default=True, help="Job name shown in the email and its key."
)
@click.option(
    "--key",
    help="Message key; default JOB:PERIOD:RUN. A key is sent once: give a new one to send again.",
)
@click.pass_context
def mail_command(
    ctx: click.Context, report_folder: Path, to: str, job: str, key: str | None
) -> None:
    """Email the report in REPORT_FOLDER (a path, or a folder name under reports.output_dir):
    headline figures, the channel table and the charts, with attachments per mail.attach.

    The SMTP server and login come from mail.*; the password only from ATTRIBUTION_SMTP_PASSWORD.

    \b
    Example:
      attribution mail data/reports/2026-W47-run12 --to ana@example.com,ion@example.com
      attribution mail 2026-W47-run12 --to ana@example.com --key 2026-W47-resend-1
    """
    from attribution.reporting import dashboard, mailer
    from attribution.service.pipeline import Pipeline

    settings = settings_of(ctx)
    mailer.check_settings(settings)  # before the charts are rendered
    folder = report_folder
    if not folder.is_dir() and len(folder.parts) == 1:
        folder = settings.resolve(settings.reports.output_dir) / folder
    built = dashboard.open_report(folder)
    recipients = [a.strip() for a in to.split(",") if a.strip()]
    message = dashboard.compose(built, recipients=recipients, settings=settings, job=job)
    chosen = key or dashboard.message_key(built, job)
    with Pipeline.open(settings) as pipe:
        result = mailer.send(pipe.warehouse, message, settings=settings, key=chosen)
    if result.status == "already sent":
        out.print(
            f"already sent (key {chosen}); nothing sent. Give --key to send it again.",
            highlight=False,
            markup=False,
        )
        return
    out.print(
        f"sent {message['Subject']!s} to {', '.join(result.recipients)} "
        f"(key {chosen}, {result.attempts} attempt(s)): {result.answer}",
        highlight=False,
        markup=False,
    )
    for address, answer in result.refused.items():
        out.print(f"  refused by the server: {address}: {answer}", highlight=False, markup=False)
