-- Writes the registered table demo_out to a CSV file with a header. Params: $path.
COPY demo_out TO $path (FORMAT csv, HEADER true)
