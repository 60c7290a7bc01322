"""gunicorn settings for the admin app: `gunicorn -c python:admin.gunicorn_conf ...`.

One gthread worker: the page needs one Fanout and one price history per process, and a second
worker would only double them (and split the viewers' stream cap). Each open traffic stream
holds a thread, so the worker gets one thread per allowed stream on top of those for the
htmx polls. The graceful timeout stays under supervisord's stopwaitsecs.
"""

import os

from admin.context import MAX_STREAMS
from livedata.gunicorn_hooks import end_streams_on_sigterm
from livedata.settings import Settings

bind = os.environ.get("GUNICORN_BIND") or Settings.from_env().admin_bind
worker_class = "gthread"
workers = 1
threads = 8 + MAX_STREAMS
graceful_timeout = 5
timeout = 30
keepalive = 5
# No access log: every open page polls two fragments a second. Errors still go to stdout.
accesslog = None
errorlog = "-"
loglevel = "info"
limit_request_line = 8190
# gunicorn 27's control socket has one default path per user: two gunicorns would fight over it.
control_socket_disable = True


def post_worker_init(worker):
    """On SIGTERM, end open SSE streams first, so the graceful stop is not spent waiting."""
    from admin.traffic import SHUTDOWN

    end_streams_on_sigterm(worker, SHUTDOWN)
