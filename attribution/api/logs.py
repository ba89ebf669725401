"""Server logs without secrets: tokens given as ?authtoken= are redacted from every line, however
the parameter's name is spelled or percent-encoded (`?auth%74oken=` is the same parameter)."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

# A name=value pair as a query string holds it: the name is compared once percent-decoded, as
# the server reads it, so no encoding of "authtoken" slips past.
_PAIR = re.compile(r"(?P<name>[^?&;=\s\"']+)=(?P<value>[^&\s\"']*)")


def _redacted(match: re.Match[str]) -> str:
    if unquote_plus(match["name"]).strip().lower() == "authtoken":
        return f"{match['name']}=[redacted]"
    return match[0]


def redact(text: str) -> str:
    return _PAIR.sub(_redacted, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message and arguments (uvicorn's access log passes the request path
    with its query as an argument) so that no token reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with RedactTokens on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactTokens}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    return config
