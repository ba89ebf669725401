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


class EmptyPeriodError(AttributionError):
    """A report or run over a period with no leads and no conversions, refused before any run
    is made. `problem` says what is empty and where the data is; advice() adds what to do."""

    exit_code = 4

    def __init__(self, problem: str, *, unit: str = "period", action: str = "build it") -> None:
        self.problem, self.unit, self.action = problem, unit, action
        super().__init__(self.advice("pass --allow-empty"))

    def advice(self, how: str) -> str:
        """The message, with `how` to allow an empty period on this surface (option, field)."""
        return f"{self.problem}. Choose another {self.unit}, or {how} to {self.action} anyway."


class PortInUseError(AttributionError):
    """`attribution serve` cannot listen: another program holds the address and port."""

    exit_code = 5


class BackupError(AttributionError):
    """A backup cannot be made or restored: a file is missing or altered, or the target exists."""


class IngestError(AttributionError):
    """A whole file was refused: unreadable, or lacking required columns."""


class IngestLimitError(IngestError):
    """A file was refused before it was read: past a size limit (columns, rows, bytes)."""


class AllRowsRejectedError(AttributionError):
    """Every row of a file was rejected: its batch and rejected rows are stored, nothing else.

    batches: (file name, batch id) of each such file; hint: what to do, for this surface."""

    exit_code = 6

    def __init__(self, batches: list[tuple[str, int]], *, hint: str = "") -> None:
        self.batches = batches
        files = " and ".join(f"{f} (batch {b})" for f, b in batches)
        first = batches[0][1] if batches else "N"
        hint = hint or (
            f"see why with `attribution batches --rejected {first}`, fix the rows and load "
            "the file again"
        )
        super().__init__(f"every row of {files} was rejected, so nothing was loaded: {hint}")


class NotFoundError(AttributionError):
    """A named thing (source, batch, SQL statement) does not exist."""


class InvalidFieldsError(AttributionError):
    """Fields of a request are missing or not allowed; errors maps field -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class ConflictError(AttributionError):
    """The change clashes with what is stored: a duplicate name, a claimed UTM rule."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InUseError(ConflictError):
    """A source still referenced by data cannot be deleted; retire it instead."""

    def __init__(self, message: str, *, usage: dict[str, int]) -> None:
        super().__init__(message)
        self.usage = usage


class MailError(AttributionError):
    """An email was not sent: the SMTP server refused it or could not be reached."""

    def __init__(self, message: str, *, answer: str = "") -> None:
        super().__init__(message)
        self.answer = answer  # the server's last answer (code and text), or the connection error


class QueryError(AttributionError):
    """An analyst's query (`attribution sql`) failed or was refused by the sandbox."""


class QueryTimeoutError(QueryError):
    """An analyst's query ran past its time limit and was stopped."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its class name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
