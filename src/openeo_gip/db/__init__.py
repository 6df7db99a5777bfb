"""Persistence: SQLAlchemy models, the database handle, Alembic migrations, the store of accounts."""

from openeo_gip.db.database import Database
from openeo_gip.db.models import Base, Token, User

__all__ = ["Base", "Database", "Token", "User"]
