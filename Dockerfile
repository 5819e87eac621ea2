# syntax=docker/dockerfile:1
#
# gainsight-transformer container image.
#
#   docker build -t gainsight-transformer .
#   docker run --rm -p 9090:9090 gainsight-transformer
#
#   docker build --target simulator -t gainsight-simulator .   # the Gainsight fake
#
# `builder` builds a wheel of the project and installs it (with its runtime
# dependencies only) into a self-contained virtualenv at /opt/venv;
# `simulator-builder` adds the simulator's extra (trustme, h11) to a copy.
# `runtime` (the default target, last) is the slim base with nothing but the
# service's venv and a non-root user; `simulator` is the same with the other venv.
# All stages must use the same base image: the venv's interpreter is a
# symlink to the base image's /usr/local/bin/python3.11.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

########################################################################
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1

WORKDIR /build

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

# Project metadata first, then the sources. README* is optional (the glob may
# match nothing as long as pyproject.toml is there).
COPY pyproject.toml README* LICENSE ./
COPY src ./src

# Build the project wheel, then install it and its dependencies into the venv.
# pip byte-compiles at install time, so the runtime image never writes .pyc.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /build/dist . \
 && pip install --no-cache-dir /build/dist/*.whl \
 && python -c "import gainsight_transformer"

########################################################################
FROM builder AS simulator-builder

# Our own wheel with its `simulator` extra (hadolint cannot see that the argument is a wheel file).
# hadolint ignore=DL3013
RUN wheel="$(ls /build/dist/*.whl)" \
 && pip install --no-cache-dir "${wheel}[simulator]" \
 && python -c "import gainsight_simulator.runner"

########################################################################
FROM ${PYTHON_IMAGE} AS base

# Fixed, non-root identity (no login shell, no home directory).
ARG APP_UID=10001
ARG APP_GID=10001

LABEL org.opencontainers.image.title="gainsight-transformer" \
      org.opencontainers.image.description="Drop-in RudderStack transformer for the Gainsight CS destination" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:${PATH}" \
    HOST=0.0.0.0 \
    PORT=9090

RUN groupadd --system --gid "${APP_GID}" app \
 && useradd --system --uid "${APP_UID}" --gid app \
      --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# Where the Gainsight simulator writes its certificates (and the service may read them);
# owned by the app user so a named volume mounted here is writable.
RUN mkdir -p /certs && chown "${APP_UID}:${APP_GID}" /certs

WORKDIR /app
USER ${APP_UID}:${APP_GID}

########################################################################
FROM base AS simulator

LABEL org.opencontainers.image.title="gainsight-simulator" \
      org.opencontainers.image.description="Stateful fake of Gainsight's People, Company and Events APIs"

COPY --from=simulator-builder /opt/venv /opt/venv

EXPOSE 9443

CMD ["python", "-m", "gainsight_simulator", "--host", "0.0.0.0", "--port", "9443", "--tls-dir", "/certs"]

########################################################################
FROM base AS runtime

COPY --from=builder /opt/venv /opt/venv

EXPOSE 9090

# No curl in the slim image: probe /health with the interpreter we already
# ship, on whatever PORT the service was started with. Exit 0 = healthy,
# 1 = unhealthy (urlopen raises on connection errors and on 4xx/5xx).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import json, os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '9090') + '/health', timeout=4); sys.exit(0 if json.load(r).get('service') == 'UP' else 1)"]

STOPSIGNAL SIGTERM

CMD ["gainsight-transformer"]
