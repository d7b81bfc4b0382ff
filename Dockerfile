# Mission Bot: `missionbot run` as a non-root user. Configuration comes from the environment
# at run time (docker run --env-file .env ...); no secret is written into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY locales ./locales
COPY examples ./examples

# Compile the catalogs at build time: the image's site-packages are read-only to the bot user.
RUN pip install . \
    && missionbot catalogs compile \
    && useradd --create-home --uid 10001 missionbot \
    && mkdir -p /data && chown missionbot /data

USER missionbot
WORKDIR /data
ENV DATABASE_URL=sqlite+aiosqlite:////data/missionbot.db
VOLUME ["/data"]
# Webhook mode only (WEBHOOK_URL set): the port PTB's web server listens on.
EXPOSE 8443

CMD ["missionbot", "run"]
