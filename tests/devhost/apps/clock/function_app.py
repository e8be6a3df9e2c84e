"""Durable timers around a restart: a test kills the host once a long timer is saved."""

from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client) -> func.HttpResponse:
    name = req.route_params["name"]
    instance_id = await client.start_new(name, f"{name}-1")
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def scaled(context: df.DurableOrchestrationContext):
    """Twenty simulated minutes, then an hour's timer saved together with a marker activity."""
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=20))
    fire_at = context.current_utc_datetime + timedelta(hours=1)
    # One episode schedules both, so the timer is stored by the time the marker prints.
    yield context.task_all([context.create_timer(fire_at), context.call_activity("mark", "saved")])
    return fire_at.isoformat()


@app.orchestration_trigger(context_name="context")
def virtual(context: df.DurableOrchestrationContext):
    """An hour's timer (a jump on a virtual clock), a marker, then a wait for an event."""
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    yield context.call_activity("mark", "waiting")
    yield context.wait_for_external_event("go")
    return context.current_utc_datetime.isoformat()


@app.activity_trigger(input_name="label")
def mark(label: str) -> str:
    print(f"MARK {label}", flush=True)
    return label
