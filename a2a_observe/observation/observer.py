"""The one place that turns neutral A2A facts into OpenTelemetry signals.

Adapters open a :class:`CallObservation` (a CLIENT or SERVER call) or an :class:`AgentRun`
(the agent's own work), feed it facts and end it. Only this module knows span names,
attribute names, events and values (through :mod:`a2a_observe.semconv`), so every library is
observed the same way, as the OpenTelemetry A2A conventions say. It never raises into the
adapter's caller: the adapters run every method through :mod:`a2a_observe.safety`.

An agent run has no span of its own unless ``A2A_OBSERVE_AGENT_SPANS`` opts in: A2A
instrumentations report A2A requests only, so by default what the agent did (state changes,
artifacts, messages) becomes events of the SERVER span that serves it. What it does after that
span has ended (the background work of a non-blocking SendMessage) becomes log records with
the same names and the SERVER span's trace and span ids, so nothing of it reaches the metrics
only.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics as otel_metrics
from opentelemetry import propagate, trace
from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber, get_logger
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode, Tracer

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.capture import cap_attribute, error_description, exception_attributes, parts_json
from a2a_observe.observation.facts import (
    AgentFacts,
    ArtifactFacts,
    CallFacts,
    ErrorFacts,
    EventFacts,
    MessageFacts,
)
from a2a_observe.safety import call_guarded
from a2a_observe.signals import deferred
from a2a_observe.signals.metrics import A2AMetrics, call_attributes
from a2a_observe.signals.span_starts import log_span_starts, stop_span_starts
from a2a_observe.version import __version__

_AGENT_KEY = otel_context.create_key("a2a_observe.agent")
"""The serving agent's identity, carried in the OTel context from the SERVER span to the
``invoke_agent`` span, which runs in a task the SDK starts and cannot otherwise name."""


_active_call: contextvars.ContextVar[CallObservation | None] = contextvars.ContextVar(
    "a2a_observe_active_call", default=None
)


def active_call() -> CallObservation | None:
    """The call whose span is current in this task, if it is one of ours."""
    return _active_call.get()


_IDS_KEY = otel_context.create_key("a2a_observe.ids")
"""The A2A ids of the call or agent run whose span is current, carried in the OTel context
so that log lines (and threads that propagate the context) can name the task."""


def current_ids(ctx: otel_context.Context | None = None) -> dict[str, str]:
    """``a2a.task.id``, ``gen_ai.conversation.id`` and ``gen_ai.agent.name`` of the current
    call or agent run, those that are known; empty outside any A2A work."""
    value = otel_context.get_value(_IDS_KEY, ctx)
    return dict(value) if isinstance(value, dict) else {}


def _ids(task_id: Any, context_id: Any, agent_name: Any) -> dict[str, str]:
    ids = {
        semconv.A2A_TASK_ID: task_id,
        semconv.GEN_AI_CONVERSATION_ID: context_id,
        semconv.GEN_AI_AGENT_NAME: agent_name,
    }
    return {k: str(v) for k, v in ids.items() if v}


_SUPPRESS_PLAIN = "suppress_instrumentation"
"""The plain-string key older instrumentations set, which contrib still honours."""


def is_instrumentation_enabled() -> bool:
    """False inside ``suppress_instrumentation()``: the OpenTelemetry API's context key that
    every contrib instrumentation honours (read here without depending on contrib)."""
    return not (
        otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY) or otel_context.get_value(_SUPPRESS_PLAIN)
    )


def current_agent(ctx: otel_context.Context | None = None) -> AgentFacts | None:
    value = otel_context.get_value(_AGENT_KEY, ctx)
    return value if isinstance(value, AgentFacts) else None


def agent_span_current() -> bool:
    """Whether the current span is an ``invoke_agent`` span that someone (we, or a framework
    that reports its own) is recording."""
    current = trace.get_current_span()
    attributes = getattr(current, "attributes", None) or {}
    return bool(
        current.is_recording()
        and attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OPERATION_INVOKE_AGENT
    )


def announce_span_starts(tracer_provider: trace.TracerProvider | None = None) -> None:
    """Log the start of every span through the app's logger provider, so live views can show
    work that is still running; a failure here must not stop instrumentation."""
    call_guarded("span-start logging", log_span_starts, tracer_provider)


def stop_announcing_span_starts() -> None:
    """Undo :func:`announce_span_starts` (for ``uninstrument()``)."""
    call_guarded("span-start logging", stop_span_starts)


def record_queued_measurements() -> None:
    """Make the histogram records still queued for the event loop (``uninstrument()``: what
    the last calls measured is not left waiting for a collection)."""
    deferred.drain()


_CACHE_LIMIT = 1024
"""Entries an observer keeps per precomputed table before it starts the table over."""

_RECENT_EVENTS = 64
"""Events an agent run remembers to record once: a queue hands an event on to its child queues."""

_METRIC_SPAN_KEYS = (
    semconv.A2A_METHOD_NAME,
    semconv.GEN_AI_AGENT_NAME,
    semconv.A2A_PROTOCOL_BINDING,
    semconv.A2A_PROTOCOL_VERSION,
)
"""The span attributes a call's metric labels are made of (with the binding's ``rpc.system``)."""


class MetricSets:
    """The attribute sets one kind of call (side, agent, method, binding) records its metrics
    with, built once and shared by every such call. The SDK copies what it is given, so
    sharing them is safe; building them per call was most of what metrics cost us."""

    __slots__ = ("_errors", "_event_kinds", "_stream_ends", "call", "side")

    def __init__(self, call: dict[str, Any], side: str) -> None:
        self.call = call
        """The call's labels (durations, active requests)."""
        self.side = {**call, semconv.A2A_CALL_SIDE: side}
        """The same with the side of the call (sizes, streams, errors)."""
        self._stream_ends: dict[str, dict[str, Any]] = {}
        self._event_kinds: dict[str, dict[str, Any]] = {}
        self._errors: dict[str, dict[str, Any]] = {}

    def stream_end(self, how: str) -> dict[str, Any]:
        return _extended(self._stream_ends, self.side, semconv.A2A_STREAM_END, how)

    def event_kind(self, kind: str) -> dict[str, Any]:
        return _extended(self._event_kinds, self.side, semconv.A2A_STREAM_EVENT_KIND, kind)

    def outcome(self, error_type: str | None) -> dict[str, Any]:
        """The duration's labels: the call's, with ``error.type`` when it failed."""
        if error_type is None:
            return self.call
        return _extended(self._errors, self.call, semconv.ERROR_TYPE, error_type)


def _extended(
    cache: dict[str, dict[str, Any]], base: dict[str, Any], name: str, value: str
) -> dict[str, Any]:
    """``base`` with ``name`` set to ``value``, built once per value (the table starts over
    past :data:`_CACHE_LIMIT` values)."""
    labels = cache.get(value)
    if labels is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        labels = cache[value] = {**base, name: value}
    return labels


class Observer:
    """Holds the tracer and settings that every observation of one ``instrument()`` uses."""

    def __init__(
        self,
        tracer: Tracer,
        settings: Settings,
        metrics: A2AMetrics | None = None,
        logger: Logger | None = None,
    ) -> None:
        self.tracer = tracer
        self.settings = settings
        self.metrics = metrics
        self.logger = logger or get_logger(semconv.INSTRUMENTATION_SCOPE, __version__)
        """Where the records of an agent's work after its SERVER span ended go (the global
        logger provider unless ``instrument(logger_provider=...)`` names one)."""
        self._call_bases: dict[tuple[Any, ...], dict[str, Any]] = {}
        """The cleaned span attributes that the facts of a call share with every other call
        to the same agent and method over the same connection, built once."""
        self._metric_sets: dict[tuple[Any, ...], MetricSets] = {}
        """The label sets of a call's metrics, per side, agent, method and binding."""

    @classmethod
    def create(
        cls,
        settings: Settings,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: otel_metrics.MeterProvider | None = None,
        logger_provider: LoggerProvider | None = None,
    ) -> Observer:
        """The observer of one ``instrument()``: our tracer, meter and logger from the given
        providers (the global ones by default)."""
        scope = semconv.INSTRUMENTATION_SCOPE
        tracer = trace.get_tracer(scope, __version__, tracer_provider=tracer_provider)
        meter = otel_metrics.get_meter(scope, __version__, meter_provider=meter_provider)
        logger = get_logger(scope, __version__, logger_provider=logger_provider)
        return cls(tracer, settings, A2AMetrics(meter), logger)

    # -- attribute helpers ---------------------------------------------------------------------
    def clean(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Drop unknown values, cap sizes: one dict, handed to the SDK in one call."""
        limit = self.settings.max_attribute_length
        out: dict[str, Any] = {}
        for key, value in attrs.items():
            if value is None:
                continue
            if type(value) is str:
                if value:
                    out[key] = value if len(value) <= limit else value[:limit]
            elif isinstance(value, list | tuple):
                if value:
                    out[key] = cap_attribute(value, limit)
            else:
                out[key] = value
        return out

    def record_exception(self, span: Span, exc: BaseException) -> None:
        """The ``exception`` event, with the message only when the settings allow error text
        (the SDK's ``record_exception`` always writes it)."""
        span.add_event(semconv.EVENT_EXCEPTION, exception_attributes(self.settings, exc))

    def set(self, span: Span, key: str, value: Any) -> None:
        attrs = self.clean({key: value})
        if attrs:
            span.set_attributes(attrs)

    def message_attributes(self, message: MessageFacts) -> dict[str, Any]:
        return {
            semconv.A2A_MESSAGE_ID: message.message_id,
            semconv.A2A_MESSAGE_ROLE: message.role,
            semconv.A2A_MESSAGE_PARTS_COUNT: len(message.parts),
            semconv.A2A_MESSAGE_PARTS_KINDS: sorted({p.kind for p in message.parts}),
            semconv.A2A_MESSAGE_REFERENCE_TASK_IDS: list(message.reference_task_ids),
            semconv.A2A_MESSAGE_SIZE: message.size,
            semconv.A2A_TASK_ID: message.task_id,
            semconv.GEN_AI_CONVERSATION_ID: message.context_id,
        }

    def set_message(self, span: Span, message: MessageFacts) -> None:
        span.set_attributes(self.clean(self.message_attributes(message)))

    def content_attributes(self, parts: Any) -> dict[str, Any]:
        if not self.settings.capture_content:
            return {}
        text, truncated = parts_json(parts, self.settings.max_content_length, self.settings.redact_patterns)
        attrs: dict[str, Any] = {semconv.A2A_CONTENT: text}
        if truncated:
            attrs[semconv.A2A_CONTENT_TRUNCATED] = True
        return attrs

    def message_event_attributes(self, message: MessageFacts) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            semconv.A2A_MESSAGE_PARTS_COUNT: len(message.parts),
            semconv.A2A_MESSAGE_PARTS_KINDS: sorted({p.kind for p in message.parts}),
            semconv.A2A_MESSAGE_ID: message.message_id,
            semconv.A2A_MESSAGE_ROLE: message.role,
        }
        attrs.update(self.content_attributes(message.parts))
        return self.clean(attrs)

    def artifact_event_attributes(self, artifact: ArtifactFacts) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            semconv.A2A_ARTIFACT_APPEND: artifact.append,
            semconv.A2A_ARTIFACT_LAST_CHUNK: artifact.last_chunk,
            semconv.A2A_ARTIFACT_PARTS_COUNT: len(artifact.parts),
            semconv.A2A_ARTIFACT_ID: artifact.artifact_id,
            semconv.A2A_ARTIFACT_NAME: artifact.name,
        }
        attrs.update(self.content_attributes(artifact.parts))
        return self.clean(attrs)

    @staticmethod
    def agent_attributes(agent: AgentFacts) -> dict[str, Any]:
        return {
            semconv.GEN_AI_AGENT_NAME: agent.name,
            semconv.GEN_AI_AGENT_VERSION: agent.version,
            semconv.GEN_AI_AGENT_DESCRIPTION: agent.description,
        }

    def set_agent(self, span: Span, agent: AgentFacts) -> None:
        span.set_attributes(self.clean(self.agent_attributes(agent)))

    def call_attributes(self, facts: CallFacts) -> dict[str, Any]:
        """The call's span attributes: what it shares with every call to the same agent and
        method (built once, see :meth:`_call_base`), then what this call alone carries."""
        attrs = dict(self._call_base(facts))
        message = facts.message
        if message is None and not facts.task_id and not facts.context_id:
            return attrs
        own: dict[str, Any] = self.message_attributes(message) if message is not None else {}
        if facts.task_id:
            own[semconv.A2A_TASK_ID] = facts.task_id
        if facts.context_id:
            own[semconv.GEN_AI_CONVERSATION_ID] = facts.context_id
        attrs.update(self.clean(own))
        return attrs

    def _call_base(self, facts: CallFacts) -> dict[str, Any]:
        key = (
            facts.method,
            facts.original_method,
            facts.binding,
            facts.protocol_version,
            facts.tenant,
            facts.server_address,
            facts.server_port,
            facts.client_address,
            facts.client_port,
            facts.url,
            facts.agent,
        )
        try:
            base = self._call_bases.get(key)
        except TypeError:  # a fact an adapter could not reduce to a plain value: not shared
            return self._shared_call_attributes(facts)
        if base is None:
            if len(self._call_bases) >= _CACHE_LIMIT:
                self._call_bases.clear()  # many peers or agents: start over rather than grow
            base = self._call_bases[key] = self._shared_call_attributes(facts)
        return base

    def _shared_call_attributes(self, facts: CallFacts) -> dict[str, Any]:
        card = facts.method == semconv.GET_AGENT_CARD
        attrs: dict[str, Any] = {
            semconv.A2A_METHOD_NAME: None if card else facts.method,
            semconv.A2A_METHOD_ORIGINAL: facts.original_method,
            semconv.A2A_PROTOCOL_BINDING: facts.binding,
            semconv.A2A_PROTOCOL_VERSION: facts.protocol_version,
            semconv.A2A_TENANT: facts.tenant,
            semconv.SERVER_ADDRESS: facts.server_address,
            semconv.SERVER_PORT: facts.server_port if facts.server_address else None,
            semconv.CLIENT_ADDRESS: facts.client_address,
            semconv.CLIENT_PORT: facts.client_port if facts.client_address else None,
            semconv.URL_FULL: facts.url,
            **self.agent_attributes(facts.agent),
        }
        return self.clean(attrs)

    # -- opening observations -----------------------------------------------------------------
    @staticmethod
    def metric_attributes(facts: CallFacts, span_attributes: dict[str, Any]) -> dict[str, Any]:
        """The call's metric labels: the RPC metrics' own ``rpc.*`` beside the span's names."""
        return call_attributes(
            {
                **span_attributes,
                semconv.RPC_SYSTEM_NAME: semconv.BINDING_RPC_SYSTEM.get(facts.binding or ""),
                semconv.RPC_METHOD: span_attributes.get(semconv.A2A_METHOD_NAME),
            }
        )

    def metric_sets(self, kind: SpanKind, facts: CallFacts, span_attributes: dict[str, Any]) -> MetricSets:
        """The label sets of this call's metrics, built once per side, agent, method,
        binding and protocol version: the metrics' labels are exactly these span attributes."""
        key = (kind, facts.binding, *(span_attributes.get(name) for name in _METRIC_SPAN_KEYS))
        try:
            sets = self._metric_sets.get(key)
            shared = True
        except TypeError:  # a label an adapter could not reduce to a plain value: not shared
            sets, shared = None, False
        if sets is None:
            if len(self._metric_sets) >= _CACHE_LIMIT:
                self._metric_sets.clear()
            side = semconv.SIDE_SERVER if kind == SpanKind.SERVER else semconv.SIDE_CLIENT
            sets = MetricSets(self.metric_attributes(facts, span_attributes), side)
            if shared:
                self._metric_sets[key] = sets
        return sets

    def start_call(
        self,
        kind: SpanKind,
        facts: CallFacts,
        parent: otel_context.Context | None = None,
    ) -> CallObservation:
        attributes = self.call_attributes(facts)
        card = facts.method == semconv.GET_AGENT_CARD
        if not is_instrumentation_enabled():
            span: Span = INVALID_SPAN  # the app suppressed instrumentation for this block
        else:
            name = semconv.AGENT_CARD_SPAN if card else facts.method
            span = self.tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
        call = CallObservation(self, span, facts, parent, kind)
        if self.metrics is not None and not card and span.is_recording():
            call.start_metrics(self.metrics, self.metric_sets(kind, facts, attributes))
        if facts.message is not None and self.settings.capture_content:
            span.add_event(semconv.EVENT_MESSAGE, self.message_event_attributes(facts.message))
        return call

    def start_server_call(self, facts: CallFacts, carrier: dict[str, str]) -> CallObservation:
        """A SERVER span whose parent is the caller's span, taken from ``carrier``."""
        parent = propagate.extract(carrier)
        parent = otel_context.set_value(_AGENT_KEY, facts.agent, parent)
        return self.start_call(SpanKind.SERVER, facts, parent)

    def start_client_call(self, facts: CallFacts) -> CallObservation:
        """A CLIENT span, a child of whatever span is current."""
        return self.start_call(SpanKind.CLIENT, facts)

    def start_agent_run(
        self,
        operation: str,
        agent: AgentFacts,
        task_id: str | None,
        context_id: str | None,
        *,
        agent_span: bool = True,
    ) -> AgentRun:
        """The agent's work on a request: an ``invoke_agent`` span when opted in, else a run
        whose events go to the SERVER span serving the request (or, without one, nowhere but
        the metrics). ``agent_span=False``: someone else reports the agent operation (see
        ``agent_reported_elsewhere``), so no span is opened even when opted in."""
        ids = _ids(task_id, context_id, agent.name)
        settings = self.settings
        if (
            settings.agent_spans
            and agent_span
            and operation == semconv.OPERATION_INVOKE_AGENT
            and is_instrumentation_enabled()
        ):
            attrs = {
                semconv.GEN_AI_OPERATION_NAME: operation,
                semconv.GEN_AI_PROVIDER_NAME: settings.agent_provider,
                **self.agent_attributes(agent),
                semconv.A2A_TASK_ID: task_id,
                semconv.GEN_AI_CONVERSATION_ID: context_id,
            }
            span = self.tracer.start_span(
                semconv.agent_span_name(operation, agent.name),
                kind=SpanKind.INTERNAL,
                attributes=self.clean(attrs),
            )
            return AgentRun(self, span, ids, owned=True)
        call = active_call()
        if call is None or call.kind != SpanKind.SERVER:
            return AgentRun(self, INVALID_SPAN, ids, owned=False)
        return AgentRun(self, call.span, ids, owned=False, call=call)


class CallObservation:
    """One A2A call: a CLIENT or SERVER span, its stream events and its outcome."""

    def __init__(
        self,
        observer: Observer,
        span: Span,
        facts: CallFacts,
        parent: otel_context.Context | None,
        kind: SpanKind,
    ) -> None:
        self.observer = observer
        self.span = span
        self.kind = kind
        self.facts = facts
        self._parent = parent
        self._started = time.monotonic()
        self._events = 0
        self._ended = False
        self._stream_end: str | None = None
        self._latest: dict[str, Any] = {}
        """Attributes that change per stream event, set once when the call ends."""
        self._metrics: A2AMetrics | None = None
        self._sets: MetricSets | None = None
        self._error: ErrorFacts | None = None
        self._error_type: str | None = None
        self._exceptions: list[BaseException] = []
        self._response_size = 0
        self.key: object | None = None
        """What the adapter identifies the call by (a server's request context)."""
        self.runs: list[AgentRun] = []
        """The agent runs that report as events of this (SERVER) span."""
        self._context: tuple[Any, Any, otel_context.Context] | None = None

    @property
    def context(self) -> otel_context.Context:
        """The context in which this call's span is the current span: made again only when
        the task or conversation it names has changed, since a stream activates the call
        around every item it reads or writes."""
        facts = self.facts
        task_id = self._latest.get(semconv.A2A_TASK_ID, facts.task_id)
        context_id = self._latest.get(semconv.GEN_AI_CONVERSATION_ID, facts.context_id)
        made = self._context
        if made is not None and made[0] == task_id and made[1] == context_id:
            return made[2]
        ids = _ids(task_id, context_id, facts.agent.name)
        ctx = trace.set_span_in_context(self.span, otel_context.set_value(_IDS_KEY, ids, self._parent))
        self._context = (task_id, context_id, ctx)
        return ctx

    @contextmanager
    def activated(self) -> Iterator[None]:
        """Make the span current for the duration of a block in the same task."""
        token = otel_context.attach(self.context)
        call_token = _active_call.set(self)
        try:
            yield
        finally:
            _active_call.reset(call_token)
            otel_context.detach(token)

    def carrier(self) -> dict[str, str]:
        """W3C trace context (and baggage) for this span, through the global propagator."""
        headers: dict[str, str] = {}
        propagate.inject(headers, context=self.context)
        return headers

    @property
    def is_server(self) -> bool:
        return self.kind == SpanKind.SERVER

    @property
    def is_client(self) -> bool:
        return self.kind == SpanKind.CLIENT

    def wire_learned(self, facts: CallFacts) -> None:
        """What the call turned out to send on the wire (binding, URL, method name), learned
        after it opened: a client that tries several endpoints says so request by request."""
        self.span.set_attributes(self.observer.call_attributes(facts))

    def card_returned(self, agent: AgentFacts) -> None:
        """The agent card a card request returned: the agent it describes, and its URL."""
        self.observer.set_agent(self.span, agent)
        self.observer.set(self.span, semconv.A2A_AGENT_URL, agent.url)

    # -- metrics ------------------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        return self.facts.method in semconv.STREAMING_METHODS

    def start_metrics(self, metrics: A2AMetrics, sets: MetricSets) -> None:
        self._metrics = metrics
        self._sets = sets
        if self.kind == SpanKind.SERVER:
            metrics.active_requests.add(1, sets.call)
        if self.streaming:
            metrics.active_streams.add(1, sets.side)
        message = self.facts.message
        if message is not None and message.size is not None:
            metrics.request_size.record(message.size, sets.side)

    def _end_metrics(self, metrics: A2AMetrics, sets: MetricSets) -> None:
        duration = time.monotonic() - self._started
        server = self.kind == SpanKind.SERVER
        ctx = trace.set_span_in_context(self.span)
        (metrics.server_duration if server else metrics.client_duration).record(
            duration, sets.outcome(self._error_type), ctx
        )
        with_side = sets.side
        if self._error is not None:
            error_attrs = {**with_side, semconv.ERROR_TYPE: self._error_type}
            if self._error.rpc_status_code is not None:
                error_attrs[semconv.RPC_RESPONSE_STATUS_CODE] = self._error.rpc_status_code
            if self._error.http_status_code is not None:
                error_attrs[semconv.HTTP_RESPONSE_STATUS_CODE] = self._error.http_status_code
            metrics.errors.add(1, error_attrs)
        if self._response_size:
            metrics.response_size.record(self._response_size, with_side, ctx)
        if server:
            metrics.active_requests.add(-1, sets.call)
        if self.streaming:
            metrics.active_streams.add(-1, with_side)
            end = self._stream_end or semconv.STREAM_END_COMPLETED
            metrics.stream_duration.record(duration, sets.stream_end(end), ctx)

    def result(self, event: EventFacts | None) -> None:
        """What a unary call returned (a task, a message, or nothing)."""
        if event is None:
            return
        if event.size:
            self._response_size += event.size
        o, span = self.observer, self.span
        span.set_attributes(
            o.clean(
                {
                    semconv.A2A_RESPONSE_KIND: event.kind,
                    semconv.A2A_TASK_ID: event.task_id,
                    semconv.GEN_AI_CONVERSATION_ID: event.context_id,
                    semconv.A2A_TASK_STATE: semconv.task_state(event.state),
                }
            )
        )
        if event.message is not None and o.settings.capture_content:
            span.add_event(semconv.EVENT_MESSAGE, o.message_event_attributes(event.message))

    def stream_event(self, event: EventFacts) -> None:
        """One event of a stream: a span event; the span keeps the latest state and ids.

        On a SERVER span that an agent run reports to, the run has already put what the
        event carries (the artifact chunk, the message) on this same span, as ``a2a.artifact``
        and ``a2a.task.status``/``a2a.message`` events of the same object; the stream event then
        says only what was sent when (kind, index, state). Repeating the artifact's attributes
        cost about a third of a streamed event's price in the agent (the SDK's attribute
        cleaning, then OTLP encoding) for nothing a reader did not have already.
        """
        o, span = self.observer, self.span
        attrs: dict[str, Any] = {
            semconv.A2A_STREAM_EVENT_KIND: event.kind,
            semconv.A2A_STREAM_EVENT_INDEX: self._events,
        }
        metrics, sets = self._metrics, self._sets
        if self._events == 0:
            first = time.monotonic() - self._started
            self._latest[semconv.A2A_STREAM_TIME_TO_FIRST_EVENT] = first
            if metrics is not None and sets is not None:
                ctx = trace.set_span_in_context(self.span)
                metrics.time_to_first_event.record(first, sets.side, ctx)
        if metrics is not None and sets is not None:
            metrics.stream_events.add(1, sets.event_kind(event.kind))
        if event.size:
            self._response_size += event.size
        self._events += 1
        state = semconv.task_state(event.state)
        if state:
            attrs[semconv.A2A_TASK_STATE] = state
            self._latest[semconv.A2A_TASK_STATE] = state
        if event.task_id and event.task_id != self._latest.get(semconv.A2A_TASK_ID):
            attrs[semconv.A2A_TASK_ID] = event.task_id  # only where it changes: the span has it
            self._latest[semconv.A2A_TASK_ID] = event.task_id
        if event.context_id:
            self._latest[semconv.GEN_AI_CONVERSATION_ID] = event.context_id
        if not self.runs:  # no agent run reports here: this event is the only record of it
            if event.artifact is not None:
                attrs.update(o.artifact_event_attributes(event.artifact))
            if event.message is not None:
                attrs.update(o.message_event_attributes(event.message))
        span.add_event(semconv.EVENT_STREAM, attrs)

    def stream_ended(self, how: str) -> None:
        self._stream_end = how

    def error(self, error: ErrorFacts, exception: BaseException | None = None) -> None:
        """The call failed: ``error.type`` is the wire code when the protocol returned one,
        else the exception's canonical name (or the adapter's name for the failure)."""
        name = semconv.exception_name(exception) if exception is not None else error.error_type
        error_type = semconv.error_type(error.rpc_status_code, error.http_status_code, name)
        self._error = error
        self._error_type = error_type
        span = self.span
        span.set_attributes(self.observer.clean({semconv.ERROR_TYPE: error_type}))
        description = error_description(self.observer.settings, error.message, error_type)
        span.set_status(Status(StatusCode.ERROR, description))

    def record_exception(self, exc: BaseException) -> None:
        """An ``exception`` event, once per exception however many hooks saw it pass."""
        if any(seen is exc for seen in self._exceptions):
            return
        self._exceptions.append(exc)
        self.observer.record_exception(self.span, exc)

    def exception(self, exc: BaseException, error: ErrorFacts) -> None:
        self.record_exception(exc)
        self.error(error, exc)

    def end(self) -> None:
        if self._ended:
            return
        self._ended = True
        attrs = self._latest
        if self._stream_end is not None:
            attrs[semconv.A2A_STREAM_END] = self._stream_end
            attrs[semconv.A2A_STREAM_EVENTS_COUNT] = self._events
        if attrs:
            self.span.set_attributes(self.observer.clean(attrs))
        if self._metrics is not None and self._sets is not None:
            self._end_metrics(self._metrics, self._sets)  # first: who sees the span ended sees them
        self.span.end()
        runs, self.runs = self.runs, []  # a run refers to its call, not back: freed without the GC
        for run in runs:
            run.call_ended()


class AgentRun:
    """The agent's own work on a task and what it emitted: on its own ``invoke_agent`` span
    (``owned``, when opted in) or as events of the SERVER span serving the request."""

    def __init__(
        self,
        observer: Observer,
        span: Span,
        ids: dict[str, str],
        *,
        owned: bool = True,
        call: CallObservation | None = None,
    ) -> None:
        self.observer = observer
        self.span = span
        self.owned = owned
        self.call = call
        self.ids = ids
        self._recent: dict[int, object] = {}
        """The last events recorded, by id, oldest first (held, so no other object can take
        an id while it is here): a look-up per event instead of a scan, whatever the stream's
        length."""
        self._latest: dict[str, Any] = {}
        self._ended = False
        self._started_ns = time.time_ns()
        self._continues = False
        """Whether the SERVER span ended while this run went on (and said so in a log)."""
        if call is not None:
            call.runs.append(self)

    @property
    def context(self) -> otel_context.Context:
        """The current context with this run's span and ids in it (a run with no span of its
        own and no SERVER span keeps whatever span is current)."""
        ctx = otel_context.set_value(_IDS_KEY, self.ids)
        if self.span is INVALID_SPAN:
            return ctx
        return trace.set_span_in_context(self.span, ctx)

    @contextmanager
    def activated(self) -> Iterator[None]:
        """Make the run's span and ids current for the duration of a block."""
        token = otel_context.attach(self.context)
        try:
            yield
        finally:
            otel_context.detach(token)

    @property
    def recording(self) -> bool:
        """Whether the span the run reports to (its own or the SERVER span) still records."""
        return self.span.is_recording()

    def emitted(self, source: object, event: EventFacts) -> None:
        """The agent put ``event`` on its queue; ``source`` dedupes queue fan-out.

        A queue may hand the same event object on to child queues, so an object already
        recorded is not recorded again.
        """
        recent, key = self._recent, id(source)
        if key in recent:
            return
        recent[key] = source
        if len(recent) > _RECENT_EVENTS:
            del recent[next(iter(recent))]
        o, span = self.observer, self.span
        if event.task_id:
            self._latest[semconv.A2A_TASK_ID] = event.task_id
        if event.context_id:
            self._latest[semconv.GEN_AI_CONVERSATION_ID] = event.context_id
        # A SERVER span that already answered (a non-blocking send) takes no more events:
        # they become log records of that span (and the state still reaches the metrics).
        recording = span.is_recording()
        state = semconv.task_state(event.state)
        if state:
            self._latest[semconv.A2A_TASK_STATE] = state
            metrics = o.metrics
            if metrics is not None:
                metrics.task_state(
                    event.task_id or self.ids.get(semconv.A2A_TASK_ID),
                    self.ids.get(semconv.GEN_AI_AGENT_NAME),
                    state,
                    span,
                )
            attrs: dict[str, Any] = {semconv.A2A_TASK_STATE: state}
            if event.task_id:
                attrs[semconv.A2A_TASK_ID] = event.task_id
            if state in semconv.TERMINAL_TASK_STATES or state in semconv.INTERRUPTED_TASK_STATES:
                attrs[semconv.A2A_TASK_FINAL] = True
            if event.message is not None:
                attrs.update(o.message_event_attributes(event.message))
            self._record(semconv.EVENT_TASK_STATUS, attrs, recording)
        if event.artifact is not None:
            self._record(semconv.EVENT_ARTIFACT, o.artifact_event_attributes(event.artifact), recording)
        if event.kind == semconv.EVENT_KIND_MESSAGE and event.message is not None:
            self._record(semconv.EVENT_MESSAGE, o.message_event_attributes(event.message), recording)

    def _record(self, name: str, attrs: dict[str, Any], recording: bool) -> None:
        """A span event while the span records; once the SERVER span has ended, a log record."""
        if recording:
            self.span.add_event(name, attrs)
        elif self.call is not None:
            self._log(name, attrs, f"{name} after the request was answered")

    def _log(self, name: str, attrs: dict[str, Any], body: str, timestamp: int | None = None) -> None:
        """A log record of the SERVER span this run reports on (its trace and span ids), with
        the run's task, conversation and agent."""
        ids = {**self.ids, **{k: v for k, v in self._latest.items() if k != semconv.A2A_TASK_STATE}}
        self.observer.logger.emit(
            timestamp=timestamp or time.time_ns(),
            context=trace.set_span_in_context(self.span),
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            body=body,
            attributes=self.observer.clean({**ids, **attrs}),
            event_name=name,
        )

    def call_ended(self) -> None:
        """The SERVER span this run reports on has ended. A run still going (one that has
        not reached a final state) says so, so that it shows as running, as its own span would."""
        if self._ended or self.owned or self.call is None:
            return
        state = self._latest.get(semconv.A2A_TASK_STATE)
        if state in semconv.TERMINAL_TASK_STATES or state in semconv.INTERRUPTED_TASK_STATES:
            return
        self._continues = True
        attrs = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_INVOKE_AGENT,
            semconv.A2A_TASK_STATE: state,
        }
        self._log(semconv.EVENT_RUN_CONTINUES, attrs, "the agent works on after answering", self._started_ns)

    def exception(self, exc: BaseException, name: str | None = None) -> None:
        """The agent raised (``name`` is ignored: the observation names errors).

        Its own span fails; a SERVER span only records the exception, since the request's
        outcome (an error answer or a failed task) is the server's to say."""
        if not self.span.is_recording():
            return
        if self.call is not None:
            self.call.record_exception(exc)
        else:
            self.observer.record_exception(self.span, exc)
        if not self.owned:
            return
        error_type = semconv.exception_name(exc)
        self.observer.set(self.span, semconv.ERROR_TYPE, error_type)
        description = error_description(self.observer.settings, str(exc), error_type)
        self.span.set_status(Status(StatusCode.ERROR, description))

    def task_failed_by_framework(self) -> None:
        """Record the ``failed`` state the framework gives a task whose agent raised.

        The agent never publishes it (it raised instead), yet the task is failed from then
        on; without this the task would look stuck in its last state to metrics and replay.
        Nothing is recorded when the agent had already ended the task.
        """
        state = self._latest.get(semconv.A2A_TASK_STATE)
        if state in semconv.TERMINAL_TASK_STATES:
            return
        event = EventFacts(
            kind=semconv.EVENT_KIND_STATUS_UPDATE,
            task_id=self._latest.get(semconv.A2A_TASK_ID) or self.ids.get(semconv.A2A_TASK_ID),
            context_id=self._latest.get(semconv.GEN_AI_CONVERSATION_ID)
            or self.ids.get(semconv.GEN_AI_CONVERSATION_ID),
            state=semconv.TASK_STATE_FAILED,
        )
        self.emitted(object(), event)

    def end(self) -> None:
        if not self._ended and self.owned:
            self._ended = True
            if self._latest:
                self.span.set_attributes(self.observer.clean(self._latest))
            self.span.end()
        if not self._ended and self._continues:
            state = {semconv.A2A_TASK_STATE: self._latest.get(semconv.A2A_TASK_STATE)}
            self._log(semconv.EVENT_RUN_END, state, "the agent's run ended")
        self._ended = True
