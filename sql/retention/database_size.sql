-- The warehouse file's blocks: used, free (reused by later writes) and their size. Grain: one
-- row. Params: none.
SELECT block_size, total_blocks, used_blocks, free_blocks
FROM pragma_database_size()
WHERE database_name = current_database()
