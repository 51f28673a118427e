# syntax=docker/dockerfile:1
# Docketflow application image: one image for the API, the Temporal worker and migrations
# (docker-compose.yml picks the command). Build: docker build -t docketflow .

# --- build: install the package and its dependencies into a self-contained venv ----------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# The locked dependencies first, each checked against its hash (./scripts/lock): their layer is
# cached until the lock file changes.
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --require-hashes -r requirements/runtime.lock
# .dockerignore is an allowlist: the context holds only pyproject.toml, the README, the lock
# files and the package directories, so local state (.venv, .env, .docketflow) never reaches it.
COPY . .
# A regular (non-editable) install, nothing resolved again: the runtime stage needs only
# /opt/venv, not /src.
RUN pip install --no-deps .

# --- runtime -----------------------------------------------------------------------------
FROM python:3.11-slim

# Production mode: every process refuses the public development secret and keys, so a
# deployment that forgets DOCKETFLOW_SECRET_KEY or the codec keys does not start.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DOCKETFLOW_ENV=prod

# A fixed, numeric, unprivileged uid/gid: file ownership on mounted volumes is predictable
# and orchestrators that enforce runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 docketflow \
    && useradd --system --uid 10001 --gid docketflow --create-home \
        --home-dir /home/docketflow --shell /usr/sbin/nologin docketflow

# The worker OCRs scanned pages and images with Debian's Tesseract (documents/ocr.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/venv /opt/venv

USER 10001:10001
WORKDIR /home/docketflow

EXPOSE 8000

# Liveness of the API. The slim image has no curl, so probe with the standard library: any
# connection error or non-2xx answer raises and exits 1. Compose disables this check for the
# services that run another command (worker, migrate).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["docketflow", "api", "--host", "0.0.0.0", "--port", "8000"]
