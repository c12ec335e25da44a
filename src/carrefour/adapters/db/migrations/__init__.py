"""Alembic migrations: Alembic owns the schema from the first table on."""
