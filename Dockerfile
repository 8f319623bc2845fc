# derivbot: the Discord bot on a slim Python, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
# an editable install: migrations/ and cards/ are read beside the package (bot/db/migrate.py)
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cards ./cards
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install -e . \
    && useradd --system --uid 10001 --home-dir /data derivbot \
    && mkdir -p /data && chown derivbot /data

# the code stays root-owned; the bot writes only /data (a SQLite file, if no DATABASE_URL)
ENV DATABASE_URL=sqlite+aiosqlite:////data/derivbot.db
USER derivbot
# SIGTERM (docker stop) stops gracefully: interactions in flight finish, then the pool and the
# database close, within STOP_GRACE (8 s) of the 10 s docker gives.
STOPSIGNAL SIGTERM
# wait for the database, migrate under the start-up lock, then connect to Discord
CMD ["derivbot", "run", "--wait-db", "60"]
