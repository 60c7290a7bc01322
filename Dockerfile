# One image for every LiveData process; supervisord runs them (see supervisord.conf).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 LIVEDATA_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md supervisord.conf ./
COPY livedata ./livedata
COPY services ./services
COPY admin ./admin
RUN pip install . && useradd --system --home /data livedata && mkdir -p /data \
    && chown livedata /data
USER livedata
EXPOSE 8000 8001
CMD ["livedata", "up"]
