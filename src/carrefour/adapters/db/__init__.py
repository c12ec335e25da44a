"""The SQL store: SQLAlchemy 2 Core tables, repositories, the unit of work and migrations."""
