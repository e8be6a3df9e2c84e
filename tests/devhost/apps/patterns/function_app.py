"""A Durable Functions app with one orchestration per pattern devhost's tests exercise.

It is written as any v2 app is, against azure-functions and azure-functions-durable only.
"""

import json
import logging
import threading
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

# Side effects the tests look at (activities really ran, and how often).
CALLS: dict[str, int] = {}
REPLAYS: dict[str, int] = {}
# Lets a test raise an event while an orchestrator is mid-episode (see gated_relay).
GATE = threading.Event()
BLOCKED = threading.Event()


# -- starters and client operations, all through the SDK's DurableOrchestrationClient ----------


@app.route(route="start/{name}/{instanceId?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    try:
        instance_id = await client.start_new(
            req.route_params["name"], req.route_params.get("instanceId"), payload
        )
    except Exception as error:
        return func.HttpResponse(str(error), status_code=409)
    logging.info("started %s", instance_id)
    return client.create_check_status_response(req, instance_id)


@app.route(route="client/{op}/{instanceId?}", methods=["GET", "POST"])
@app.durable_client_input(client_name="client")
async def client_op(req: func.HttpRequest, client) -> func.HttpResponse:
    op = req.route_params["op"]
    instance_id = req.route_params.get("instanceId")
    result = None
    if op == "status":
        status = await client.get_status(
            instance_id, show_history=req.params.get("history") == "1", show_input=True
        )
        result = {"found": bool(status), **(status.to_json() if status else {})}
        if status and hasattr(status, "historyEvents"):
            result["historyEvents"] = status.historyEvents
    elif op == "raise":
        await client.raise_event(instance_id, req.params["event"], req.get_json())
    elif op == "terminate":
        await client.terminate(instance_id, req.params.get("reason", "stop"))
    elif op == "suspend":
        await client.suspend(instance_id, "pause")
    elif op == "resume":
        await client.resume(instance_id, "go on")
    elif op == "purge":
        purged = await client.purge_instance_history(instance_id)
        result = {"deleted": purged.instances_deleted}
    elif op == "list":
        statuses = await client.get_status_all()
        result = sorted(s.instance_id for s in statuses)
    elif op == "running":
        statuses = await client.get_status_by(
            runtime_status=[df.OrchestrationRuntimeStatus.Running]
        )
        result = sorted(s.instance_id for s in statuses)
    elif op == "wait":
        return await client.wait_for_completion_or_create_check_status_response(
            req, instance_id, timeout_in_milliseconds=2000, retry_interval_in_milliseconds=100
        )
    return func.HttpResponse(json.dumps(result), mimetype="application/json")


# -- activities ---------------------------------------------------------------------------------


@app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    CALLS["hello"] = CALLS.get("hello", 0) + 1
    logging.info("saying hello to %s", name)
    return f"Hello {name}!"


@app.activity_trigger(input_name="number")
async def double(number: int) -> int:
    CALLS["double"] = CALLS.get("double", 0) + 1
    return number * 2


@app.activity_trigger(input_name="attempt")
def flaky(attempt: dict) -> str:
    key = attempt["key"]
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] < attempt["succeed_on"]:
        raise ValueError(f"attempt {CALLS[key]} failed")
    return f"succeeded on attempt {CALLS[key]}"


@app.activity_trigger(input_name="payload")
def always_fails(payload) -> None:
    raise RuntimeError(f"boom: {payload}")


@app.activity_trigger(input_name="key")
def poll(key: str) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    return "done" if CALLS[key] >= 3 else "pending"


# -- orchestrations -----------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    results = []
    for city in ("Tokyo", "Seattle", "London"):
        results.append((yield context.call_activity("hello", city)))
        context.set_custom_status({"done": len(results)})
    return results


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input()
    doubled = yield context.task_all([context.call_activity("double", i) for i in range(count)])
    return sum(doubled)


@app.orchestration_trigger(context_name="context")
def monitor(context: df.DurableOrchestrationContext):
    settings = context.get_input()
    expiry = context.current_utc_datetime + timedelta(minutes=settings["expiry_minutes"])
    polls = 0
    while context.current_utc_datetime < expiry:
        polls += 1
        state = yield context.call_activity("poll", settings["key"])
        if state == "done":
            return {"polls": polls, "finished_at": context.current_utc_datetime.isoformat()}
        yield context.create_timer(context.current_utc_datetime + timedelta(minutes=5))
    return {"polls": polls, "expired": True}


@app.orchestration_trigger(context_name="context")
def countdown(context: df.DurableOrchestrationContext):
    remaining = context.get_input()
    if remaining <= 0:
        return "lift-off"
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    context.continue_as_new(remaining - 1)


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    deadline = context.current_utc_datetime + timedelta(days=context.get_input()["days"])
    timeout = context.create_timer(deadline)
    decision = context.wait_for_external_event("Approval")
    winner = yield context.task_any([decision, timeout])
    if winner == decision:
        if not timeout.is_completed:
            timeout.cancel()
        payload = decision.result
        return {"approved": payload, "type": type(payload).__name__}
    return {"approved": None, "timed_out": True}


@app.orchestration_trigger(context_name="context")
def approval_without_cancel(context: df.DurableOrchestrationContext):
    timeout = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    decision = context.wait_for_external_event("Approval")
    winner = yield context.task_any([decision, timeout])
    return "approved" if winner == decision else "timed out"


@app.orchestration_trigger(context_name="context")
def long_sleep(context: df.DurableOrchestrationContext):
    yield context.create_timer(context.current_utc_datetime + timedelta(days=10))
    return context.current_utc_datetime.isoformat()


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    named = context.call_sub_orchestrator("child", "Ada", f"{context.instance_id}-child")
    unnamed = context.call_sub_orchestrator("child", "Grace")
    results = yield context.task_all([named, unnamed])
    try:
        yield context.call_sub_orchestrator("failing", None)
    except Exception as error:
        results.append(f"child failed: {str(error).splitlines()[0].strip()}")
    return results


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext):
    greeting = yield context.call_activity("hello", context.get_input())
    return {"greeting": greeting, "parent": context.parent_instance_id}


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    settings = context.get_input()
    options = df.RetryOptions(
        first_retry_interval_in_milliseconds=30_000, max_number_of_attempts=settings["attempts"]
    )
    return (yield context.call_activity_with_retry("flaky", options, settings))


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("hello", "doomed")
    raise ValueError("the orchestrator gave up")


@app.orchestration_trigger(context_name="context")
def catches_activity_failure(context: df.DurableOrchestrationContext):
    try:
        yield context.call_activity("always_fails", "input")
    except Exception as error:
        recovered = yield context.call_activity("hello", "after failure")
        return {"error": str(error), "recovered": recovered}
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def nondeterministic(context: df.DurableOrchestrationContext):
    # Changes its mind between replays: the extension must notice.
    REPLAYS[context.instance_id] = REPLAYS.get(context.instance_id, 0) + 1
    first = "hello" if REPLAYS[context.instance_id] == 1 else "double"
    yield context.call_activity(first, 1)
    yield context.call_activity("hello", "again")
    return "finished"


@app.orchestration_trigger(context_name="context")
def calls_missing_activity(context: df.DurableOrchestrationContext):
    yield context.call_activity("no_such_activity", None)
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def waits_for_go(context: df.DurableOrchestrationContext):
    first = yield context.wait_for_external_event("go")
    second = yield context.wait_for_external_event("go")
    greeting = yield context.call_activity("hello", "resumed")
    return {"events": [first, second], "greeting": greeting}


@app.orchestration_trigger(context_name="context")
def event_loop(context: df.DurableOrchestrationContext):
    # Each round makes new waiters; the last round's "y" waiter is abandoned, not the one to wake.
    seen = []
    while True:
        x = context.wait_for_external_event("x")
        y = context.wait_for_external_event("y")
        winner = yield context.task_any([x, y])
        if winner == y:
            return {"seen": seen, "done": winner.result}
        seen.append(winner.result)
        yield context.call_activity("hello", str(winner.result))


@app.orchestration_trigger(context_name="context")
def late_waiter(context: df.DurableOrchestrationContext):
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=5))
    return (yield context.wait_for_external_event("go"))


@app.orchestration_trigger(context_name="context")
def parent_with_retry(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=10_000, max_number_of_attempts=3)
    return (yield context.call_sub_orchestrator_with_retry("flaky_child", options, "child-key"))


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("flaky", {"key": context.get_input(), "succeed_on": 2}))


@app.orchestration_trigger(context_name="context")
def gated_relay(context: df.DurableOrchestrationContext):
    generation = context.get_input() or 0
    event = yield context.wait_for_external_event("ev")
    if generation == 0:
        BLOCKED.set()
        GATE.wait(30)
        context.continue_as_new(1)
        return None
    return {"generation": generation, "event": event}


@app.orchestration_trigger(context_name="context")
def echo_input(context: df.DurableOrchestrationContext):
    value = context.get_input()
    echoed = yield context.call_activity("echo", value)
    return {"input": value, "echoed": echoed, "same_type": type(echoed).__name__}


@app.activity_trigger(input_name="value")
def echo(value):
    return value


# -- Event Grid ---------------------------------------------------------------------------------

EVENTS: list[dict] = []


@app.event_grid_trigger(arg_name="event")
@app.durable_client_input(client_name="client")
async def on_image_written(event: func.EventGridEvent, client) -> None:
    if event.subject.endswith("/fail"):
        raise RuntimeError("cannot handle this event")
    EVENTS.append(
        {
            "id": event.id,
            "subject": event.subject,
            # Event Grid schema events have event_type; CloudEvents (same converter) have type.
            "type": getattr(event, "event_type", None) or getattr(event, "type", None),
            "data": event.get_json(),
        }
    )
    await client.start_new("chain", f"event-{event.id}")
