"""gunicorn settings for the admin app: `gunicorn -c python:admin.gunicorn_conf ...`.

The API's timeouts, limits and logging, with these differences. One gthread worker: the page
needs one Fanout and one price history per process, and a second worker would only double
them (and split the viewers' stream cap). Each open traffic stream holds a thread, so the
worker gets one thread per allowed stream on top of those for the htmx polls.
"""

import os

from admin.context import MAX_STREAMS
from livedata.gunicorn_hooks import end_streams_on_sigterm
from livedata.settings import Settings
from services.api.gunicorn_conf import (  # noqa: F401 - gunicorn reads them from this module
    control_socket_disable,
    errorlog,
    graceful_timeout,
    keepalive,
    limit_request_line,
    loglevel,
    timeout,
    worker_class,
)

bind = os.environ.get("GUNICORN_BIND") or Settings.from_env().admin_bind
workers = 1
threads = 8 + MAX_STREAMS
# No access log: every open page polls two fragments a second. Errors still go to stdout.
accesslog = None


def post_worker_init(worker):
    """On SIGTERM, end open traffic streams first, so the graceful stop is not spent waiting."""
    from admin.traffic import SHUTDOWN

    end_streams_on_sigterm(worker, SHUTDOWN)
