"""Migrations run against DATABASE_URL, or the embedded PostgreSQL when it is unset."""
from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table
from core.config import get_settings
from core.db import sqlalchemy_url
from core.devstack import database_url


def run_migrations_online() -> None:
    url = context.config.attributes.get("url") or database_url(get_settings())
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=SQLModel.metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
