"""HTTP triggers of every shape devhost routes: templates, methods, sync and async, context."""

import json
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# Read at import time, as apps often do: devhost must set app settings before importing.
GREETING_AT_IMPORT = os.environ.get("GREETING", "unset")


@app.route(route="items/{id:int}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "id": req.route_params["id"],
        "query": dict(req.params),
        "header": req.headers.get("x-test"),
        "method": req.method,
        "url": req.url,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="items/special", methods=["GET"])
def get_special(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("the literal route wins")


@app.route(route="items", methods=["POST"])
async def create_item(req: func.HttpRequest) -> func.HttpResponse:
    item = req.get_json()
    return func.HttpResponse(
        json.dumps({"created": item}),
        status_code=201,
        headers={"Location": f"/v1/items/{item['id']}"},
        mimetype="application/json",
    )


@app.route(route="greet/{name?}")
def greet(req: func.HttpRequest) -> str:
    name = req.route_params.get("name") or "stranger"
    return f"{os.environ.get('GREETING', 'Hi')} {name} (imported with {GREETING_AT_IMPORT})"


@app.route(route="files/{*path}")
def files(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.route_params.get("path", ""))


@app.function_name("who_am_i")
@app.route(route="whoami")
def whoami(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps({"function": context.function_name, "invocation": context.invocation_id})
    )


@app.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("kaboom")


@app.route(route="not-a-response")
def not_a_response(req: func.HttpRequest) -> func.HttpResponse:
    return 42  # the worker cannot encode this as an HTTP response


@app.route(route="binary", methods=["POST"])
def binary(req: func.HttpRequest) -> func.HttpResponse:
    data = req.get_body()
    return func.HttpResponse(bytes(reversed(data)), mimetype="application/octet-stream")


@app.route(route="cookie")
def cookie(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("set", headers={"Set-Cookie": "a=1; Path=/"})
