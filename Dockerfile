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
RUN useradd --create-home --uid 10001 mentorbot
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER mentorbot
WORKDIR /home/mentorbot
ENV DATA_DIR=/home/mentorbot/data
VOLUME ["/home/mentorbot/data"]
# `mentorbot run` applies migrations before it connects.
ENTRYPOINT ["mentorbot"]
CMD ["run"]
