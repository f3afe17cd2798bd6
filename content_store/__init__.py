"""Storage: SQLAlchemy models, repositories, migrations, the link fetcher and tracked links."""
