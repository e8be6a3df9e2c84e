"""The entity wire formats, against the extension's algorithms and the real SDK's code."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.models.DurableEntityContext import DurableEntityContext
from azure.durable_functions.models.entities.ResponseMessage import ResponseMessage
from azure.durable_functions.models.utils.df_serialization import df_loads
from azure.functions import EntityContext

from devhost.entity_protocol import (
    INVALID_RESULT,
    DotNetTime,
    EntityProtocolError,
    EntityRequest,
    OutgoingLabels,
    batch_request,
    check_key,
    operation_input,
    parse_batch_result,
    request_guid,
    response_is_error,
    response_json,
    round_trip,
    scheduler_id,
    split_scheduler_id,
)

T0 = datetime(2030, 1, 1, 12, 30, 5, 123456, tzinfo=UTC)


def dotnet_guid_v5(namespace: str, name: str) -> str:
    """GuidManager.CreateDeterministicGuid, step by step on .NET's mixed-endian Guid bytes."""

    def swap(data: bytearray) -> None:
        for left, right in ((0, 3), (1, 2), (4, 5), (6, 7)):
            data[left], data[right] = data[right], data[left]

    namespace_bytes = bytearray(uuid.UUID(namespace).bytes_le)  # Guid.ToByteArray()
    swap(namespace_bytes)
    digest = bytearray(hashlib.sha1(bytes(namespace_bytes) + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | (5 << 4)
    digest[8] = (digest[8] & 0x3F) | 0x80
    swap(digest)
    return str(uuid.UUID(bytes_le=bytes(digest)))  # new Guid(bytes).ToString()


def test_request_ids_are_the_extensions_deterministic_guids() -> None:
    name = f"instance-1_{round_trip(T0)}_0"
    assert round_trip(T0) == "2030-01-01T12:30:05.1234560Z"
    expected = dotnet_guid_v5("9e952959-5e33-4daf-827f-2fa12937b875", name)
    assert request_guid("instance-1", T0, 0) == expected
    assert request_guid("instance-1", T0, 1) != expected


def test_times_are_written_as_json_net_writes_datetimes() -> None:
    assert DotNetTime().to_json() == "0001-01-01T00:00:00"  # DateTime.MinValue, Unspecified
    assert DotNetTime.of(datetime(2030, 1, 1, tzinfo=UTC)).to_json() == "2030-01-01T00:00:00Z"
    assert DotNetTime.of(T0).to_json() == "2030-01-01T12:30:05.123456Z"
    one_tick_later = DotNetTime(DotNetTime.of(T0).ticks + 1)
    assert one_tick_later.to_json() == "2030-01-01T12:30:05.1234561"


def test_outgoing_labels_are_unique_per_destination_and_expire_after_the_window() -> None:
    labels = OutgoingLabels()
    first, before_first = labels.label("@counter@a", T0)
    assert (first, before_first) == (DotNetTime.of(T0), DotNetTime())
    second, before_second = labels.label("@Counter@a", T0)  # destinations are case-insensitive
    assert before_second == first
    assert second == DotNetTime(first.ticks + 1, utc=False)
    other, before_other = labels.label("@counter@b", T0)
    assert (other, before_other) == (DotNetTime.of(T0), DotNetTime())
    # Past the 30-minute reorder window (plus the 10 s between clean-ups) the history is dropped.
    later = T0 + timedelta(minutes=31)
    assert labels.label("@counter@a", later) == (DotNetTime.of(later), DotNetTime())


def test_request_json_has_the_extensions_fields_in_order_without_defaults() -> None:
    call = EntityRequest("id-1", "add", operation_input("3"), False, "orch", "exec")
    text = call.to_json(DotNetTime.of(T0), DotNetTime())
    assert text == (
        '{"op":"add","input":"\\"3\\"","id":"id-1","parent":"orch","parentExecution":"exec",'
        '"Timestamp":"2030-01-01T12:30:05.123456Z","Predecessor":"0001-01-01T00:00:00"}'
    )
    assert EntityRequest.from_json(text) == call
    signal = EntityRequest("id-2", "reset", None, True)
    assert signal.to_json(DotNetTime(), DotNetTime()) == (
        '{"op":"reset","signal":true,"id":"id-2",'
        '"Timestamp":"0001-01-01T00:00:00","Predecessor":"0001-01-01T00:00:00"}'
    )


def test_scheduler_ids() -> None:
    assert scheduler_id("Counter", "My@Key") == "@counter@My@Key"
    assert split_scheduler_id("@counter@My@Key") == ("counter", "My@Key")
    with pytest.raises(ValueError, match="not an entity instance id"):
        split_scheduler_id("counter")
    check_key("fine-key_1")
    with pytest.raises(ValueError, match="must not contain"):
        check_key("a/b")


def test_the_sdk_reads_responses_as_the_extension_writes_them() -> None:
    ok = json.loads(response_json("5", is_error=False))
    assert ok == {"result": "5"}
    message = ResponseMessage.from_dict(ok)
    assert (df_loads(message.result), message.is_exception) == (5, False)
    failed = ResponseMessage.from_dict(json.loads(response_json('"nope"', is_error=True)))
    assert (df_loads(failed.result), failed.is_exception) == ("nope", True)
    assert response_is_error(response_json('"nope"', is_error=True))
    assert not response_is_error(response_json("5", is_error=False))


def counter(context: df.DurableEntityContext) -> None:
    value = context.get_state(lambda: 0)
    if context.operation_name == "add":
        value += context.get_input()
        context.set_state(value)
        context.set_result(value)
    elif context.operation_name == "fail":
        raise ValueError("no")
    elif context.operation_name == "delete":
        context.destruct_on_exit()


def run_sdk(body: str) -> Any:
    handle = df.Entity.create(counter)
    return handle(EntityContext(body))


def test_a_batch_round_trips_through_the_real_sdk() -> None:
    requests = [
        EntityRequest("a", "add", operation_input("2"), False, "o", "e"),
        EntityRequest("b", "fail", operation_input("null"), False, "o", "e"),
        EntityRequest("c", "add", json.dumps("5"), True),  # a client's signal: JSON text again
    ]
    body = batch_request("counter", "k", True, "10", requests)
    context, batch = DurableEntityContext.from_json(body)
    assert (context.entity_name, context.entity_key, batch[0]["name"]) == ("counter", "k", "add")
    outcome = parse_batch_result(run_sdk(body), len(requests))
    assert (outcome.exists, outcome.state, outcome.signals) == (True, "17", [])
    assert [(r.result, r.is_error) for r in outcome.results] == [
        ("12", False),
        ('"no"', True),
        ("17", False),
    ]


def test_a_fresh_entity_and_a_deleted_one() -> None:
    fresh = batch_request("counter", "k", False, None, [EntityRequest("a", "add", '"1"', True)])
    outcome = parse_batch_result(run_sdk(fresh), 1)
    assert (outcome.exists, outcome.state) == (True, "1")
    gone = batch_request("counter", "k", True, "1", [EntityRequest("b", "delete", None, True)])
    outcome = parse_batch_result(run_sdk(gone), 1)
    assert (outcome.exists, outcome.state) == (False, "null")


def test_signals_in_an_answer_target_scheduler_ids() -> None:
    answer = {
        "entityExists": True,
        "entityState": "1",
        "results": [{"isError": False, "result": "null"}],
        "signals": [{"target": {"name": "Tally", "key": "t"}, "name": "add", "input": "2"}],
    }
    outcome = parse_batch_result(json.dumps(answer), 1)
    assert [(s.target, s.operation, s.input) for s in outcome.signals] == [("@tally@t", "add", "2")]


@pytest.mark.parametrize(
    "answer",
    ["not json", json.dumps({"entityExists": True, "results": []}), json.dumps([1])],
)
def test_an_unreadable_answer_is_the_extensions_schema_error(answer: str) -> None:
    with pytest.raises(EntityProtocolError, match=INVALID_RESULT):
        parse_batch_result(answer, 1)
