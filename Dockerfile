# ivs-realtime-emulator in a container: the console script, listening on 0.0.0.0:4599.
#
#   docker build -t ivs-realtime-emulator .
#   docker run --rm -p 4599:4599 ivs-realtime-emulator
#
# Every setting is an IVS_EMULATOR_* variable (docs/configuration.md): pass them with -e.
# To keep tokens verifiable across restarts, mount a PEM of an EC P-384 private key, readable
# by uid 10001, and name it:
#   docker run --rm -p 4599:4599 -v "$PWD/keys:/keys:ro" \
#     -e IVS_EMULATOR_SIGNING_KEY_FILE=/keys/signing.pem ivs-realtime-emulator
# To keep the state across restarts (docs/persistence.md), give it a volume and name the
# directory (a new named volume takes the owner of /var/lib/ivs-emulator, uid 10001):
#   docker run --rm -p 4599:4599 -v ivs-state:/var/lib/ivs-emulator \
#     -e IVS_EMULATOR_STATE_DIR=/var/lib/ivs-emulator ivs-realtime-emulator
# Without an image registry, build from a local base with python3 (docs/container.md):
#   podman build --format docker --build-arg BASE=localhost/bookworm-python -t ivs-realtime-emulator .
# `make image-test` builds this file and runs the image (tests/container/); tests/test_container.py
# runs its CMD and HEALTHCHECK with its ENV on the host.
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the wheel is built from (see .dockerignore for the rest).
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY contract ./contract
# Extras to install beside the core, e.g. `--build-arg EXTRAS=events` for --eventbridge-endpoint.
ARG EXTRAS=""
RUN pip install ".${EXTRAS:+[$EXTRAS]}" && rm -rf /src

RUN useradd --create-home --uid 10001 --user-group emulator \
    && mkdir -p /var/lib/ivs-emulator && chown emulator:emulator /var/lib/ivs-emulator
USER emulator
WORKDIR /home/emulator

ENV IVS_EMULATOR_HOST=0.0.0.0 \
    IVS_EMULATOR_PORT=4599
EXPOSE 4599

# slim has no curl: Python asks /_emulator/health on the port the emulator listens on.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('IVS_EMULATOR_PORT', '4599'), timeout=2)"]

# SIGTERM (docker stop) stops it with exit code 0.
CMD ["ivs-realtime-emulator"]
