-- Stores rows another engine computed for an INSERT statement's query (the registered table
-- engine_rows, its first column standing for the run id) into that statement's table.
-- Grain: one row per row of engine_rows. Params: $run_id; {target}, {columns} (the
-- statement's column list, or empty) and {values} (engine_rows' columns but the first) are
-- quoted identifiers taken from the statement.
INSERT INTO {target}{columns} SELECT $run_id, {values} FROM engine_rows
