"""a2a-sdk 0.3: conformance with the OpenTelemetry A2A semantic conventions, by the same checks as
on 1.x (``tests/support/conformance.py``), on real 0.3 clients and servers over every binding,
and on JSON-RPC requests the 0.3 SDK refuses before any handler. This line speaks protocol 0.3
only, so every span says ``a2a.protocol.version`` 0.3."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from a2a.types import MessageSendConfiguration, TaskIdParams, TaskQueryParams

from a2a_observe import semconv
from tests.sdk03.support import (
    BINDINGS,
    EchoAgent,
    FlakyAgent,
    RunningAgent,
    SlowAgent,
    StreamingWriter,
    client_for_card,
    serve_agent,
    user_message,
)
from tests.support.conformance import (
    REST_REFUSALS,
    all_answered,
    assert_conforms,
    assert_exercise,
    assert_refused,
    assert_rest_refused,
    refusals,
)

CALLS = 7
"""CLIENT spans one exercise makes: send, get, failed get, stream, send, cancel, failed stream."""


@pytest.fixture(scope="module")
def team() -> Iterator[dict[str, RunningAgent]]:
    with (
        serve_agent(EchoAgent(), "echo", version="2.0.0") as echo,
        serve_agent(StreamingWriter(chunks=2), "writer") as writer,
        serve_agent(SlowAgent(30), "slow") as slow,
        serve_agent(FlakyAgent(), "flaky") as flaky,
    ):
        yield {"echo": echo, "writer": writer, "slow": slow, "flaky": flaky}


async def _every_call(team: dict[str, RunningAgent], binding: str) -> str:
    """What a user of each agent does on ``binding``, failures too; the echo task's id."""

    def client(name: str, streaming: bool) -> object:
        return client_for_card(team[name].card_for(binding), binding, streaming)

    echo = client("echo", streaming=False)
    message = user_message("conform")
    message.reference_task_ids = ["earlier-task"]
    answered = [event async for event in echo.send_message(message)]  # type: ignore[attr-defined]
    task_id = str(answered[-1][0].id)
    await echo.get_task(TaskQueryParams(id=task_id))  # type: ignore[attr-defined]
    with pytest.raises(Exception):  # noqa: B017 - any error class: the span is what is checked
        await echo.get_task(TaskQueryParams(id="no-such-task"))  # type: ignore[attr-defined]
    await echo.close()  # type: ignore[attr-defined]

    writer = client("writer", streaming=True)
    [event async for event in writer.send_message(user_message("stream it"))]  # type: ignore[attr-defined]
    await writer.close()  # type: ignore[attr-defined]

    slow = client_for_card(team["slow"].card_for(binding), binding, streaming=False, polling=True)
    later = [
        event
        async for event in slow.send_message(  # type: ignore[attr-defined]
            user_message("later"), configuration=MessageSendConfiguration(blocking=False)
        )
    ]
    await slow.cancel_task(TaskIdParams(id=later[-1][0].id))  # type: ignore[attr-defined]
    await slow.close()  # type: ignore[attr-defined]

    flaky = client("flaky", streaming=True)
    with pytest.raises(Exception):  # noqa: B017
        [event async for event in flaky.send_message(user_message("please fail"))]  # type: ignore[attr-defined]
    await flaky.close()  # type: ignore[attr-defined]
    return task_id


def _answered(spans: list) -> bool:
    return all_answered(spans, CALLS)


@pytest.mark.parametrize("binding", BINDINGS)
async def test_a2a_sdk_03_spans_conform(spans, team, binding) -> None:
    task_id = await _every_call(team, binding)
    got = await spans.until(_answered)
    assert _answered(got)
    mine = assert_conforms(got)
    # Over HTTP+JSON and gRPC the 0.3 protobuf Message has no referenceTaskIds.
    references = binding == semconv.BINDING_JSONRPC
    assert_exercise(mine, binding, task_id, "0.3", ("echo", "2.0.0", "echo agent"), references)
    for span in mine:
        assert (span.attributes or {}).get(semconv.A2A_PROTOCOL_VERSION) == "0.3", span.name


REFUSED = [
    # a body without "jsonrpc" validates as JSON-RPC on 0.3; its empty params do not
    *refusals("message/send", "tasks/get", "no/such", unversioned="-32602", bad_params="-32602"),
    (b'{"jsonrpc": "1.0", "id": 1, "method": "message/send", "params": {}}', semconv.SEND_MESSAGE, "-32600"),
]


@pytest.mark.parametrize(("body", "method", "code"), REFUSED)
def test_a_request_the_03_sdk_refuses_is_a_server_span_with_the_wire_code(
    spans, team, body, method, code
) -> None:
    assert_refused(spans, team["echo"].base_url, body, method, code, "0.3")


# The 0.3 SDK's REST adapter does not map protobuf's ParseError: a body that does not parse is
# answered 500 ``{"message": "unknown exception"}``, and that is what the span must say.
@pytest.mark.parametrize(("body", "method", "status"), [(b, m, "500") for b, m, _ in REST_REFUSALS])
def test_an_http_json_request_the_03_sdk_refuses_is_a_server_span_with_the_status(
    spans, team, body, method, status
) -> None:
    assert_rest_refused(spans, f"{team['echo'].base_url}/rest/v1/message:send", body, method, status, None)
