"""An orchestration adding to an entity whose operations can be held, so that a test can kill
the host mid-batch."""

import os
import pathlib
import threading

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

WORK = pathlib.Path(os.environ["DEVHOST_TEST_WORKDIR"])


@app.route(route="start", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new("tally_up", "tally-1")
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def tally_up(context: df.DurableOrchestrationContext):
    entity = df.EntityId("Tally", "t")
    results = []
    for amount in (1, 2, 3):
        results.append((yield context.call_entity(entity, "add", amount)))
    return results


@app.entity_trigger(context_name="context")
def Tally(context: df.DurableEntityContext) -> None:
    amount = context.get_input()
    with open(WORK / "runs.log", "a") as runs:
        runs.write(f"{amount}\n")
    print(f"OPERATION-STARTED {amount}", flush=True)
    hold = WORK / f"hold-{amount}"
    while hold.exists():  # a slow operation: the test kills the host while it runs
        threading.Event().wait(0.02)
    total = context.get_state(lambda: 0) + amount
    context.set_state(total)
    context.set_result(total)
