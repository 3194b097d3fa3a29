"""Storage: SQLAlchemy rows, the database engine and schema migrations."""
