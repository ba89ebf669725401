"""The job stores' reference: jobs stored before the layout by layer name
`attribution.scheduler:fire`; this keeps them loading (new jobs store the service's path)."""

from attribution.service.scheduler import fire

__all__ = ["fire"]
