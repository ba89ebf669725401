"""Lead-source shapes by role: what a client may send to create or update, and what it gets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

NAME_MAX = 150
TEXT_MAX = 200

# Field labels for messages in the CRM's own words ("The Name field is required.").
LABELS = {
    "name": "Name",
    "channel": "Channel",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
    "active": "Active",
}
FIELDS = tuple(LABELS)
_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


class SourceUpdate(BaseModel):
    """Any subset of the writable fields; text is trimmed, empty UTM patterns mean none."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    channel: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    active: bool | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any], *, creating: bool) -> tuple[SourceUpdate, dict[str, str]]:
        """Clean raw form or JSON fields; return the shape and any field errors (CRM wording)."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for field, label in LABELS.items():
            if field not in raw:
                continue
            value = raw[field]
            if field == "active" and isinstance(value, str) and not value.strip():
                continue  # a blank form field or CSV cell: not given, the default stands
            if field == "active":
                parsed = _boolean(value)
                if parsed is None:
                    errors[field] = f"The {label} field must be true or false."
                else:
                    values[field] = parsed
                continue
            if value is not None and not isinstance(value, str | int | float):
                errors[field] = f"The {label} field must be text."
                continue
            text = "" if value is None else str(value).strip()
            limit = NAME_MAX if field == "name" else TEXT_MAX
            if len(text) > limit:
                errors[field] = f"The {label} field cannot exceed {limit} characters in length."
            elif field == "name" and not text:
                errors[field] = "The Name field is required."
            else:
                values[field] = text or None
        if creating and "name" not in raw:
            errors["name"] = "The Name field is required."
        return cls(**values), errors

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


UtcTime = Annotated[
    datetime, PlainSerializer(lambda d: d.isoformat(timespec="seconds") + "Z", return_type=str)
]


class SourcePublic(BaseModel):
    """A lead source as the API shows it: id as a string, as the CRM does."""

    id: str = Field(examples=["1"])
    name: str = Field(examples=["Google"])
    channel: str = Field(examples=["Paid Search"])
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    active: bool = True
    auto_created: bool = False
    created_at: UtcTime
    updated_at: UtcTime
    lead_count: int = Field(0, description="Leads that name this source (read-only).")


class PageMeta(BaseModel):
    page: int
    per_page: int
    total: int
    total_pages: int


class SourcePage(BaseModel):
    data: list[SourcePublic]
    meta: PageMeta
