# Build a wheel in one stage, run it as an unprivileged user in the next.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY frameworks ./frameworks
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 mentorbot
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER mentorbot
WORKDIR /home/mentorbot
# Made by the bot's user, so a new volume mounted here belongs to it too.
RUN mkdir -p /home/mentorbot/data
ENV DATA_DIR=/home/mentorbot/data \
    LOG_FORMAT=json \
    HEALTH_HOST=0.0.0.0 \
    HEALTH_PORT=8080
VOLUME ["/home/mentorbot/data"]
# /healthz and /metrics.
EXPOSE 8080
# Python's standard library only: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=2 \
    CMD ["python", "-c", "import os, sys, urllib.request as u\ntry:\n    u.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('HEALTH_PORT') or '8080'), timeout=4)\nexcept Exception:\n    sys.exit(1)"]
# `mentorbot run` applies migrations before it connects.
ENTRYPOINT ["mentorbot"]
CMD ["run"]
