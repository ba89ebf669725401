"""Sending emailed dashboards over SMTP, once per message key (the message itself is made by
attribution.reporting.dashboard.compose).

The message key is the caller's: one key per email that must go out once, e.g.
dashboard.message_key(report, job) = "JOB:PERIOD LABEL:RUN ID", or the scheduler's
"JOB:SCHEDULED TIME". The Message-ID is derived from it. The ledger (table mail_log) counts every
attempt; once the server has accepted a key's message, sending that key again does nothing. What
remains is SMTP's own window: a server that accepts and drops the connection before its answer
arrives, or a process that dies between the answer and the ledger's update, leads to one more
send."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import TYPE_CHECKING, Any, Literal

from attribution import clock
from attribution.config import SMTP_PASSWORD_ENV, MailSettings, Settings
from attribution.errors import AttributionError, ConfigError, MailError
from attribution.warehouse.connection import Warehouse

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


from attribution.reporting.dashboard import message_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What send() did: sent now, or nothing because the key was sent before."""

    key: str
    status: Literal["sent", "already sent"]
    attempts: int  # attempts this call made (0 when already sent)
    answer: str  # the server's answer to the accepted message, e.g. "250 OK queued as 4F2A"
    recipients: tuple[str, ...]
    refused: Mapping[str, str] = field(default_factory=dict)  # refused while others accepted

    def __str__(self) -> str:
        refused = f"; refused: {', '.join(self.refused)}" if self.refused else ""
        return f"{self.status} ({self.key}): {self.answer}{refused}"


class _KeepsReply(smtplib.SMTP):
    """smtplib's client, keeping the server's answer to DATA (sendmail drops it)."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.data_reply = super().data(msg)
        return self.data_reply


class _KeepsReplySSL(_KeepsReply, smtplib.SMTP_SSL):
    pass


_sleep = time.sleep  # between attempts; tests replace it
_sending: set[str] = set()
_sending_lock = threading.Lock()


def check_settings(settings: Settings) -> str:
    """The SMTP password ('' without mail.user); ConfigError when sending cannot work."""
    mail = settings.mail
    if not mail.host:
        raise ConfigError(
            "mail.host is empty: set the SMTP server in config.yaml (mail.host) or "
            "ATTRIBUTION_MAIL__HOST"
        )
    if not mail.user:
        return ""
    password = os.environ.get(SMTP_PASSWORD_ENV, "")
    if not password:
        raise ConfigError(
            f"mail.user is {mail.user!r} but the environment variable {SMTP_PASSWORD_ENV} is "
            "missing or empty; set it to the SMTP password (it is read from there only)"
        )
    return password


def send(wh: Warehouse, message: EmailMessage, *, settings: Settings, key: str) -> SendResult:
    """Send the message once per key: retried with backoff while the server refuses or cannot
    be reached; MailError after the last attempt. A key the server accepted before: nothing.

    Sets the message's Message-ID (from the key) and Date (at each attempt)."""
    mail = settings.mail
    password = check_settings(settings)
    if not key.strip():
        raise AttributionError("the message key is empty; give one per email, e.g. job:week:run")
    to = tuple(a for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", [])))
    if not to:
        raise AttributionError("the message has no recipients (To)")
    with _only_sender(key):
        with wh.write_lock:
            row = ledger(wh, key)
            if row is not None and row["status"] == "sent":
                log.info("email %s was sent at %s; not sending it again", key, row["sent_at"])
                return SendResult(key, "already sent", 0, row["server_answer"] or "", to)
            wh.execute(
                "mail/claim",
                {
                    "key": key,
                    "job": str(message.get("X-Attribution-Job", "")),
                    "subject": str(message.get("Subject", "")),
                    "recipients": ", ".join(to),
                    "now": clock.utc_now(),
                },
            )
        del message["Message-ID"]
        message["Message-ID"] = message_id(key, mail.sender)
        attempts = mail.retries + 1
        answer = ""
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                _sleep(mail.retry_backoff_seconds * 2 ** (attempt - 2))
            del message["Date"]
            message["Date"] = format_datetime(clock.now())
            try:
                answer, refused = _deliver(message, to, mail, password)
            except (smtplib.SMTPException, OSError) as exc:
                answer = _answer(exc, mail)
                _record(wh, key, answer, "sending")
                log.warning("email %s: attempt %d of %d failed: %s", key, attempt, attempts, answer)
                continue
            _record(wh, key, answer, "sent")
            log.info("email %s sent to %s: %s", key, ", ".join(to), answer)
            return SendResult(key, "sent", attempt, answer, to, refused)
        with wh.write_lock:
            wh.execute("mail/mark_failed", {"key": key})
    raise MailError(
        f"the email {key!r} was not sent: {attempts} attempts to {mail.host}:{mail.port} failed; "
        f"the server's last answer: {answer}. Check the mail.* settings and the server, then "
        "send it again (with the same key it goes out once, when the server accepts it)",
        answer=answer,
    )


def ledger(wh: Warehouse, key: str) -> dict[str, Any] | None:
    """The mail_log row of a key, or None."""
    rows = wh.records("mail/find", {"key": key})
    return rows[0] if rows else None


def _record(wh: Warehouse, key: str, answer: str, status: str) -> None:
    params = {"key": key, "answer": answer, "status": status, "now": clock.utc_now()}
    with wh.write_lock:
        wh.execute("mail/record_attempt", params)


@contextmanager
def _only_sender(key: str) -> Iterator[None]:
    """One send of a key at a time in this process (the warehouse file admits one process)."""
    with _sending_lock:
        if key in _sending:
            raise MailError(f"the email {key!r} is being sent by another thread right now")
        _sending.add(key)
    try:
        yield
    finally:
        with _sending_lock:
            _sending.discard(key)


def _deliver(
    message: EmailMessage, to: Sequence[str], mail: MailSettings, password: str
) -> tuple[str, dict[str, str]]:
    """One SMTP session: the server's answer to DATA, and recipients refused among accepted."""
    timeout = mail.timeout_seconds
    smtp: _KeepsReply
    if mail.security == "tls":
        context = ssl.create_default_context()
        smtp = _KeepsReplySSL(mail.host, mail.port, timeout=timeout, context=context)
    else:
        smtp = _KeepsReply(mail.host, mail.port, timeout=timeout)
    try:
        if mail.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if mail.user:
            smtp.login(mail.user, password)
        refused = smtp.send_message(message, from_addr=mail.sender, to_addrs=list(to))
        code, text = smtp.data_reply
    finally:
        try:  # the message is accepted or not by now: a failed QUIT changes nothing
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return f"{code} {_text(text)}", {a: f"{c} {_text(t)}" for a, (c, t) in refused.items()}


def _answer(exc: BaseException, mail: MailSettings) -> str:
    """The server's answer (code and text) or what went wrong with the connection."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{a}: {c} {_text(t)}" for a, (c, t) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, TimeoutError):
        return f"no answer from {mail.host}:{mail.port} within {mail.timeout_seconds:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection to {mail.host}:{mail.port} refused"
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
