"""Content capture is decided once, by the observation: adapters hand every part's content
over, and nothing of it is recorded (or even produced) unless the settings opt in."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.facts import ArtifactFacts, MessageFacts, PartFacts
from a2a_observe.observation.observer import Observer


def _observer(settings: Settings) -> Observer:
    return Observer(TracerProvider().get_tracer("test"), settings)


def _message(*parts: PartFacts) -> MessageFacts:
    return MessageFacts(message_id="m1", role="user", parts=parts)


def test_without_capture_no_content_is_recorded_or_produced() -> None:
    produced: list[str] = []

    def load() -> dict[str, str]:
        produced.append("loaded")
        return {"k": "v"}

    message = _message(
        PartFacts(kind="text", size=6, content="secret"), PartFacts(kind="data", load_content=load)
    )
    observer = _observer(Settings())
    attrs = observer.message_event_attributes(message)
    artifact = observer.artifact_event_attributes(ArtifactFacts(artifact_id="a1", parts=message.parts))
    assert semconv.A2A_CONTENT not in attrs and semconv.A2A_CONTENT not in artifact
    assert "secret" not in str(attrs) + str(artifact)
    assert attrs[semconv.A2A_MESSAGE_PARTS_KINDS] == ["data", "text"]
    assert produced == [], "content produced on demand is not produced when it is not recorded"


def test_with_capture_content_is_recorded_redacted_and_produced_on_demand() -> None:
    message = _message(
        PartFacts(kind="text", size=22, content="my api_key=abc123secret"),
        PartFacts(kind="data", load_content=lambda: {"password": "hunter2", "city": "Oslo"}),
        PartFacts(kind="file", size=10),
    )
    attrs = _observer(Settings(capture_content=True)).message_event_attributes(message)
    assert attrs[semconv.A2A_CONTENT] == (
        '[{"kind": "text", "media_type": null, "content": "my api_key=[REDACTED]"}, '
        '{"kind": "data", "media_type": null, "content": {"password": "[REDACTED]", "city": "Oslo"}}]'
    )
