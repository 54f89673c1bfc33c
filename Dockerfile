# syntax=docker/dockerfile:1
# Hồ sơ application image: one image for `web`, `worker` and `migrate`
# (temporal-compose.yml picks the command). Build: docker build -t hoso:local .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: install the package and its dependencies into a virtualenv -------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
RUN pip install --upgrade pip \
 && pip install . \
 && python -m compileall -q /opt/venv

# ---- runtime ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# tzdata: TZ=Asia/Ho_Chi_Minh below must resolve to a zone file.
# No fonts package: the app ships its own font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 hoso \
 && useradd --system --uid 10001 --gid hoso --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin hoso \
 && install -d -o hoso -g hoso -m 0750 /var/lib/hoso /var/lib/hoso/backups

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Source tree (root-owned, read-only for the app user): worker.py, alembic.ini and
# alembic/ live at the repository root and are run from here.
COPY . .

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TZ=Asia/Ho_Chi_Minh \
    HOSO_ENV=prod \
    HOSO_DATA_DIR=/var/lib/hoso \
    HOSO_SIGNING_DIR=/run/secrets/hoso \
    HOSO_SIGNING_DEV_CA=false

USER hoso:hoso
EXPOSE 8000
CMD ["uvicorn", "api.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
