"""The attribution engine: channel mapping, journeys, runs and portable SQL on DuckDB or Spark."""
