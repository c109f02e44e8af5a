FROM python:3.11-slim

# The image listens for webhook updates on every interface, so that a reverse proxy in front
# of the container reaches it; that matters only when WEBHOOK_URL is set. The health endpoint
# stays on loopback, where the HEALTHCHECK below runs.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/nanobanana-bot.sqlite3 \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080 \
    HEALTH_LISTEN=127.0.0.1 \
    HEALTH_PORT=8081

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir /data \
    && chown 10001 /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

USER 10001
VOLUME ["/data"]
EXPOSE 8080

# The check uses only Python's standard library, since slim images have no curl.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
