"""The snapshot endpoint's baseline: a Flask app answering a constant JSON body."""

from flask import Flask, Response


def create_app(body: str = "{}") -> Flask:
    app = Flask(__name__)

    @app.get("/constant/")
    def constant() -> Response:
        return Response(body, mimetype="application/json")

    return app
