"""Reporting: periods, metrics, the weekly report, charts, rendering, the emailed dashboard."""
