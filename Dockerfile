# One image for the five bookshop services; docker-compose.yml picks the service by command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0

WORKDIR /src
COPY lib/ lib/
COPY services/ services/
RUN pip install ./lib ./services/common ./services/frontend ./services/backend \
        ./services/db_proxy ./services/cache ./services/worker \
    && useradd --system --uid 10001 --home-dir /data --create-home bookshop \
    && mkdir -p /data/db && chown -R bookshop /data

USER bookshop
WORKDIR /data
# Each service overrides this; frontend is the default so that `docker run` shows something.
CMD ["python", "-m", "bookshop_frontend"]
