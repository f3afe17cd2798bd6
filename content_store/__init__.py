"""Storage: SQLAlchemy models, repositories, queries and migrations."""
