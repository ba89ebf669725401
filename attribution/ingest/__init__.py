"""Ingest: files of leads, touches, revenue and spend into the warehouse; the demo data set."""
