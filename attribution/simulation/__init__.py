"""Simulated journeys with a known truth: scenarios (pure numpy), the switch-off truth, the
ingest files, and the scores of a model's credit against the truth (see docs/models.md)."""
