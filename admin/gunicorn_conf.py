"""gunicorn settings for the admin app: the API's, bound to ADMIN_BIND with one worker."""

import os

from livedata.settings import Settings
from services.api.gunicorn_conf import *  # noqa: F403 - same workers, timeouts and logging

bind = os.environ.get("GUNICORN_BIND") or Settings.from_env().admin_bind
workers = 1
