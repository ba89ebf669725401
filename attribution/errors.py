"""The one exception tree: every error a user can cause, with what to do next."""

from __future__ import annotations


class AttributionError(Exception):
    """Root of every error the service reports to a user (CLI, API, jobs)."""

    exit_code = 1


class ConfigError(AttributionError):
    """A configuration value is missing, unknown or not allowed."""

    exit_code = 2


class WarehouseError(AttributionError):
    """The warehouse cannot be opened, upgraded or queried."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse file."""

    exit_code = 3

    def __init__(self, message: str, *, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


class IngestError(AttributionError):
    """A whole file was refused: unreadable, or lacking required columns."""


class NotFoundError(AttributionError):
    """A named thing (source, batch, SQL statement) does not exist."""
