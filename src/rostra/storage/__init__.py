"""Storage: SQLAlchemy Core tables and queries for SQLite and PostgreSQL, and their migrations."""
