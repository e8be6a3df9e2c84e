"""One function per auth level, a durable starter, an Event Grid trigger, and a caller echo."""

import json
import os

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

EVENTS: list[str] = []


@app.route(route="open", auth_level=func.AuthLevel.ANONYMOUS)
def open_page(req: func.HttpRequest) -> func.HttpResponse:
    """What the app sees of its caller: the principal headers and the Easy Auth setting."""
    seen = {k.lower(): v for k, v in req.headers.items() if k.lower().startswith("x-ms-")}
    seen["WEBSITE_AUTH_ENABLED"] = os.environ.get("WEBSITE_AUTH_ENABLED")
    return func.HttpResponse(json.dumps(seen), mimetype="application/json")


@app.route(route="guarded")
def guarded(req: func.HttpRequest) -> str:
    return "function level"


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> str:
    return "admin level"


@app.route(route="start", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new("greeting")
    status = await client.get_status(instance_id)  # the SDK calls rpcBaseUrl without a key
    response = client.create_check_status_response(req, instance_id)
    response.headers["x-seen-status"] = str(bool(status))
    return response


@app.orchestration_trigger(context_name="context")
def greeting(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("hello", "keys"))


@app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    return f"hello {name}"


@app.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    EVENTS.append(event.id)
