"""The stream bench's baseline: the naive SSE design, one Redis pubsub connection per client."""

from __future__ import annotations

import os

import redis
from flask import Flask, Response, request

from livedata import channels


def create_app() -> Flask:
    app = Flask(__name__)
    # redis-py caps a pool at 100 connections by default; this design needs one per client.
    client = redis.Redis.from_url(os.environ["REDIS_URL"], max_connections=10_000)

    @app.get("/stream/")
    def stream() -> Response:
        """Subscribe this client's channels on a connection of its own; forward every message."""
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(*(channels.quote_channel(s) for s in request.args["symbols"].split(",")))

        def generate():
            try:
                yield b": subscribed\n\n"
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:  # writing something is how a gone client shows up
                        yield b": keepalive\n\n"
                    else:
                        yield b"event: quote\ndata: " + message["data"] + b"\n\n"
            finally:
                pubsub.close()

        return Response(generate(), mimetype="text/event-stream")

    return app
