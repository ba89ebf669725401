-- Writes the registered table demo_out as JSON Lines (one object per line). Params: $path.
COPY demo_out TO $path (FORMAT json)
