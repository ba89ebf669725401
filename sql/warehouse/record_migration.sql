-- Records one applied migration. Params: $version, $name, $checksum.
INSERT INTO schema_migrations (version, name, checksum) VALUES ($version, $name, $checksum)
