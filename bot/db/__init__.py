"""Storage: SQLAlchemy models (``bot.db.models``), async engines and sessions
(``bot.db.engine``) and schema migrations (``bot.db.migrate``, scripts in ``migrations/``).

Typical start-up::

    from bot.db import create_engine, session_factory, transaction
    from bot.db.migrate import prepare_database

    engine = create_engine(url)         # SQLite: WAL, foreign keys, BEGIN IMMEDIATE
    sessions = session_factory(engine)
    await prepare_database(url, then=load_decks)  # schema to head, one process at a time
    async with transaction(sessions) as session:
        ...                             # one commit, or one rollback
"""

from bot.db.engine import create_engine, is_sqlite, session_factory, transaction
from bot.db.models import Base, utcnow

__all__ = ["Base", "create_engine", "is_sqlite", "session_factory", "transaction", "utcnow"]
