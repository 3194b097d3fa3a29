# Tupa application image. Configuration (TUPA_*) comes from the environment at run time;
# nothing secret is baked in. See compose.yaml for a production-like stack.

# --- build a wheel (web assets and migrations travel as package data) ---------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Only what the package needs: no .venv, .git or local var/ database in the image.
COPY pyproject.toml README.md ./
COPY server/ server/
COPY web/ web/
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- runtime ------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels

RUN groupadd --system --gid 10001 tupa \
    && useradd --system --uid 10001 --gid tupa --home-dir /home/tupa --create-home \
        --shell /usr/sbin/nologin tupa \
    && mkdir -p /home/tupa/var && chown tupa:tupa /home/tupa/var

USER tupa
# The default TUPA_DATABASE_URL (sqlite, var/tupa.db) is relative to this directory.
WORKDIR /home/tupa
ENV TUPA_HOST=0.0.0.0 TUPA_PORT=8000
EXPOSE 8000
CMD ["tupa", "serve", "--host", "0.0.0.0", "--port", "8000"]
