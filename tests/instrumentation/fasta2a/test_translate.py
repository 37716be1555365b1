"""fasta2a's two dialects read the same: its own (snake_case, lower-case enums, v0.3 method
names) and A2A 1.0's (camelCase, ``TASK_STATE_*``, ``ROLE_*``, 1.0 method names)."""

from __future__ import annotations

from a2a_observe import semconv
from a2a_observe.instrumentation.fasta2a import translate


def test_a_status_update_in_either_dialect() -> None:
    own = {"status_update": {"task_id": "t1", "context_id": "c1", "status": {"state": "input-required"}}}
    v1 = {
        "statusUpdate": {"taskId": "t1", "contextId": "c1", "status": {"state": "TASK_STATE_INPUT_REQUIRED"}}
    }
    for result in (own, v1):
        event = translate.event_facts(result)
        assert event is not None
        assert (event.kind, event.task_id, event.context_id, event.state) == (
            semconv.EVENT_KIND_STATUS_UPDATE,
            "t1",
            "c1",
            semconv.TASK_STATE_INPUT_REQUIRED,
        )


def test_an_artifact_chunk_and_its_parts() -> None:
    result = {
        "artifactUpdate": {
            "taskId": "t1",
            "artifact": {"artifactId": "a1", "parts": [{"text": "héllo"}, {"data": {"k": 1}}, {"url": "u"}]},
            "append": True,
            "lastChunk": False,
        }
    }
    event = translate.event_facts(result)
    assert event is not None and event.artifact is not None
    assert event.artifact.artifact_id == "a1"
    assert (event.artifact.append, event.artifact.last_chunk) == (True, False)
    assert [(p.kind, p.size, p.content) for p in event.artifact.parts] == [
        ("text", 6, "héllo"),
        ("data", 7, {"k": 1}),
        ("url", 1, "u"),
    ]


def test_a_message_and_its_content() -> None:
    """The translation hands the content over; whether it is recorded is the observation's
    decision (tests/observation/test_capture.py)."""
    message = {"role": "ROLE_USER", "parts": [{"text": "secret"}], "messageId": "m1"}
    facts = translate.message_facts(message)
    assert facts is not None
    assert (facts.role, facts.message_id, facts.parts[0].content) == ("user", "m1", "secret")


def test_requests_name_the_method_and_the_protocol_version() -> None:
    own = translate.request_facts({"jsonrpc": "2.0", "method": "tasks/get", "params": {"id": "t9"}})
    v1 = translate.request_facts({"jsonrpc": "2.0", "method": "GetTask", "params": {"id": "t9"}})
    assert own is not None and v1 is not None
    assert (own.method, own.original_method, own.protocol_version, own.task_id) == (
        semconv.GET_TASK,
        "tasks/get",
        "0.3",
        "t9",
    )
    assert (v1.method, v1.original_method, v1.protocol_version) == (semconv.GET_TASK, None, "1.0")
    assert translate.request_facts([{"method": "GetTask"}]) is None
    assert translate.request_facts({"jsonrpc": "2.0"}) is None


def test_errors_by_their_code_and_unknown_states() -> None:
    error = translate.rpc_error({"error": {"code": -32001, "message": "Task not found"}})
    assert error is not None
    assert (error.error_type, error.rpc_status_code, error.message) == ("-32001", "-32001", "Task not found")
    assert translate.rpc_error({"error": {"message": "no code"}}) is not None
    assert translate.rpc_error({"result": {}}) is None
    assert translate.state_name("TASK_STATE_SOMETHING_NEW") == semconv.TASK_STATE_UNSPECIFIED


def test_server_sent_events_in_one_chunk() -> None:
    chunk = b'data: {"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t"}}}\n\n: comment\n\ndata: not json\n\n'
    assert translate.sse_results(chunk) == [{"jsonrpc": "2.0", "id": 1, "result": {"task": {"id": "t"}}}]
