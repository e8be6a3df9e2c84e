"""Durable entities as an app uses them: a counter and a shared request budget.

Written as any v2 app is, against azure-functions and azure-functions-durable only. The budget is
the pattern the migrator will use: orchestrations ask one entity for permission before an ARM
call, and the entity, running one operation at a time, never grants more than it holds.
"""

import json
import logging
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# What ran, in order, for the tests to look at: (entity key, operation).
OPERATIONS: list[tuple[str, str]] = []


# -- entities ------------------------------------------------------------------------------


@app.entity_trigger(context_name="context")
def Counter(context: df.DurableEntityContext) -> None:
    value = context.get_state(lambda: 0)
    operation = context.operation_name
    OPERATIONS.append((context.entity_key, operation))
    if operation == "add":
        value += context.get_input()
        context.set_state(value)
        context.set_result(value)
    elif operation == "get":
        context.set_result(value)
    elif operation == "fail":
        raise ValueError("counter says no")
    elif operation == "add_then_fail":
        context.set_state(value + context.get_input())
        raise ValueError("added, then failed")
    elif operation == "delete":
        context.destruct_on_exit()
    else:
        raise NotImplementedError(f"no operation {operation}")


@app.entity_trigger(context_name="context", entity_name="ArmBudget")
def arm_budget(context: df.DurableEntityContext) -> None:
    budget = context.get_state(lambda: {"tokens": 0, "granted": 0})
    if context.operation_name == "refill":
        budget["tokens"] = context.get_input()
    elif context.operation_name == "take":
        granted = budget["tokens"] > 0
        if granted:
            budget["tokens"] -= 1
            budget["granted"] += 1
        context.set_result(granted)
    context.set_state(budget)


# -- orchestrations ------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def counter_ops(context: df.DurableOrchestrationContext):
    """Calls in sequence: [[operation, input], ...] on Counter(key)."""
    spec = context.get_input()
    entity = df.EntityId("Counter", spec["key"])
    results = []
    for operation, value in spec["ops"]:
        results.append((yield context.call_entity(entity, operation, value)))
    return results


@app.orchestration_trigger(context_name="context")
def parallel_adds(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    entity = df.EntityId("Counter", spec["key"])
    calls = [context.call_entity(entity, "add", 1) for _ in range(spec["n"])]
    return (yield context.task_all(calls))


@app.orchestration_trigger(context_name="context")
def signal_then_get(context: df.DurableOrchestrationContext):
    entity = df.EntityId("Counter", context.get_input())
    context.signal_entity(entity, "add", 3)
    return (yield context.call_entity(entity, "get"))


@app.orchestration_trigger(context_name="context")
def catch_failure(context: df.DurableOrchestrationContext):
    try:
        yield context.call_entity(df.EntityId("Counter", "c"), "fail")
    except Exception as error:
        return f"caught: {error}"
    return "no failure"


@app.orchestration_trigger(context_name="context")
def uncaught_failure(context: df.DurableOrchestrationContext):
    yield context.call_entity(df.EntityId("Counter", "c"), "fail")
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def signal_and_finish(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    context.signal_entity(df.EntityId("Counter", spec["key"]), "add", spec["amount"])
    return "sent"


@app.orchestration_trigger(context_name="context")
def signal_and_fail(context: df.DurableOrchestrationContext):
    """Fails in the episode that signals (a generator: a plain function's exception would reach
    the host without the SDK's actions, and the signal would not be sent)."""
    entity = df.EntityId("Counter", context.get_input())
    context.signal_entity(entity, "add", 1)
    if entity.key:
        raise RuntimeError("failed after signalling")
    yield context.call_entity(entity, "get")


@app.orchestration_trigger(context_name="context")
def signal_rounds(context: df.DurableOrchestrationContext):
    """One signal per execution, continuing as new until the rounds run out."""
    spec = context.get_input()
    context.signal_entity(df.EntityId("Counter", spec["key"]), "add", 1)
    if spec["rounds"] > 1:
        context.continue_as_new({"key": spec["key"], "rounds": spec["rounds"] - 1})
        return None
    return "done"


@app.orchestration_trigger(context_name="context")
def call_with_deadline(context: df.DurableOrchestrationContext):
    call = context.call_entity(df.EntityId("Counter", context.get_input()), "add", 1)
    deadline = context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    winner = yield context.task_any([call, deadline])
    if winner is call:
        deadline.cancel()
        return call.result
    return "timed out"


@app.orchestration_trigger(context_name="context")
def call_unknown(context: df.DurableOrchestrationContext):
    return (yield context.call_entity(df.EntityId("Nowhere", "k"), "get"))


@app.orchestration_trigger(context_name="context")
def budgeted_call(context: df.DurableOrchestrationContext):
    """Ask the shared budget before calling ARM; back off when it says no."""
    granted = yield context.call_entity(df.EntityId("ArmBudget", "arm"), "take")
    if not granted:
        return "throttled"
    return (yield context.call_activity("arm_call", context.instance_id))


@app.activity_trigger(input_name="caller")
def arm_call(caller: str) -> str:
    logging.info("ARM call for %s", caller)
    return f"called for {caller}"


# -- HTTP: starters and the entity client --------------------------------------------------


@app.route(route="start/{name}/{instanceId?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(
        req.route_params["name"], req.route_params.get("instanceId"), payload
    )
    return client.create_check_status_response(req, instance_id)


@app.route(route="entity/{name}/{key}/{operation}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def signal(req: func.HttpRequest, client) -> func.HttpResponse:
    body = req.get_body()
    entity = df.EntityId(req.route_params["name"], req.route_params["key"])
    try:
        await client.signal_entity(
            entity, req.route_params["operation"], json.loads(body) if body else None
        )
    except Exception as error:
        return func.HttpResponse(str(error), status_code=400)
    return func.HttpResponse(status_code=202)


@app.route(route="entity/{name}/{key}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def read(req: func.HttpRequest, client) -> func.HttpResponse:
    entity = df.EntityId(req.route_params["name"], req.route_params["key"])
    response = await client.read_entity_state(entity)
    body = {"exists": response.entity_exists, "state": response.entity_state}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")
