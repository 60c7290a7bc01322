def test_openapi_documents_every_route(app, client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {path.rstrip("/") for path in doc["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}").rstrip("/")
        path = path.replace("{path:", "{").replace("{int:", "{")
        assert path in documented, f"{rule.rule} is not in /api/openapi.json"


def test_every_documented_get_answers_something_other_than_404(app, client, bus):
    bus.publish_quote("ES", {"last": 1.0})
    doc = client.get("/api/openapi.json").get_json()
    for path, item in doc["paths"].items():
        if "{" in path or "get" not in item:
            continue
        assert client.get(path + "?symbols=ES").status_code != 404, path
