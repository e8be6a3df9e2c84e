"""A three-step pipeline whose steps can be held, so that a test can kill the host mid-step."""

import logging
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
    instance_id = await client.start_new("pipeline", "pipeline-1")
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def pipeline(context: df.DurableOrchestrationContext):
    results = []
    for name in ("a", "b", "c"):
        results.append((yield context.call_activity("step", name)))
    return results


@app.activity_trigger(input_name="name")
def step(name: str) -> str:
    with open(WORK / "runs.log", "a") as runs:
        runs.write(name + "\n")
    logging.info("running step %s", name)
    print(f"STEP-STARTED {name}", flush=True)
    hold = WORK / f"hold-{name}"
    while hold.exists():  # a slow step: the test kills the host while it runs
        threading.Event().wait(0.02)
    return name.upper()
