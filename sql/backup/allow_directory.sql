-- Limits the files a restore may read to the backup's folder (takes effect with
-- backup/no_external_access). A command: no rows. Params: none bound (SET takes no parameters);
-- {path} is the backup folder with a trailing separator, quoted by quote_literal.
SET allowed_directories = [{path}]
