"""The lead-source registry and API tokens: ORM, schemas and keyword-only CRUD."""
