"""Who reports the agent operation: a2a-observe's agent span is left out when a framework's
executor runs the agent (the framework reports it) or when an agent span is already current."""

from __future__ import annotations

from a2a.server.agent_execution import AgentExecutor
from opentelemetry import trace

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk.executor import agent_reported_elsewhere


class PlainExecutor(AgentExecutor):
    async def execute(self, context, event_queue) -> None:
        return None

    async def cancel(self, context, event_queue) -> None:
        return None


def executor_from(module: str) -> AgentExecutor:
    """An executor class as a framework package defines it (only its module matters here)."""
    cls = type("FrameworkExecutor", (PlainExecutor,), {"__module__": module})
    return cls()


def test_a_plain_executor_gets_our_agent_span(tracer_provider):
    assert not agent_reported_elsewhere(PlainExecutor())
    with tracer_provider.get_tracer("app").start_as_current_span("SendMessage", kind=trace.SpanKind.SERVER):
        assert not agent_reported_elsewhere(PlainExecutor())


def test_framework_executors_report_their_own_agent_span():
    assert agent_reported_elsewhere(executor_from("google.adk.a2a.executor.a2a_agent_executor"))
    assert agent_reported_elsewhere(executor_from("strands.multiagent.a2a.executor"))
    # an app's own subclass of a framework's executor still runs the framework's agent
    app_subclass = type("AppExecutor", (type(executor_from("strands.multiagent.a2a.executor")),), {})
    assert agent_reported_elsewhere(app_subclass())
    # a package whose name only starts like a framework's is not that framework
    assert not agent_reported_elsewhere(executor_from("strandsfoo.executor"))


def test_an_agent_span_already_current_is_not_doubled(tracer_provider):
    tracer = tracer_provider.get_tracer("some.framework")
    with tracer.start_as_current_span(
        "invoke_agent planner",
        attributes={semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_INVOKE_AGENT},
    ):
        assert agent_reported_elsewhere(PlainExecutor())
    with tracer.start_as_current_span(
        "execute_tool search", attributes={semconv.GEN_AI_OPERATION_NAME: "execute_tool"}
    ):
        assert not agent_reported_elsewhere(PlainExecutor())
