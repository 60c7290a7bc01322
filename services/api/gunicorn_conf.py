"""gunicorn settings for the API: `gunicorn -c python:services.api.gunicorn_conf ...`.

gthread workers, because Server-Sent Events hold a thread per open stream, not a process:
each worker gets API_THREADS threads for ordinary requests plus one per allowed stream
(SSE_MAX_STREAMS), so open streams never starve the snapshot endpoint. The graceful timeout
stays under supervisord's stopwaitsecs so a stop never turns into a kill.
"""

import os

from livedata.gunicorn_hooks import end_streams_on_sigterm
from livedata.settings import Settings

_settings = Settings.from_env()

bind = os.environ.get("GUNICORN_BIND") or _settings.api_bind
worker_class = "gthread"
workers = int(os.environ.get("API_WORKERS", "2"))
threads = int(os.environ.get("API_THREADS", "16")) + _settings.sse_max_streams
graceful_timeout = 5
timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = "info"
# A request line past this is refused by gunicorn itself (1 MB query strings never reach Flask).
limit_request_line = 8190
# gunicorn 27's control socket has one default path per user: two gunicorns would fight over it.
control_socket_disable = True


def post_worker_init(worker):
    """On SIGTERM, end open SSE streams first, so the graceful stop is not spent waiting."""
    from services.api.stream_session import SHUTDOWN

    end_streams_on_sigterm(worker, SHUTDOWN)
