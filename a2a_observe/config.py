"""Settings read from the environment once per ``instrument()`` call.

Reading them in one place keeps the privacy defaults (no content, capped sizes) visible and
testable instead of scattered across the hooks.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from a2a_observe import semconv

_log = logging.getLogger("a2a_observe")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

SDK_SPANS_SUPPRESS = "suppress"
SDK_SPANS_KEEP = "keep"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    _log.warning("a2a-observe: %s=%r is not a boolean; using %s", name, raw, default)
    return default


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        _log.warning("a2a-observe: %s=%r is not a positive integer; using %d", name, raw, default)
        return default
    return value


def env_seconds(name: str, default: float, *, zero: bool, env: Mapping[str, str] | None = None) -> float:
    """A duration in seconds from the environment: unset or blank gives ``default``; so does a
    value that is not a finite number, is negative, or is 0 where ``zero`` does not allow it,
    and a warning then names the variable and the value given."""
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        wanted = ">= 0" if zero else "> 0"
        _log.warning("a2a-observe: %s=%r is not a number of seconds %s; using %g", name, raw, wanted, default)
        return default
    return value


def _patterns(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """One regular expression, or a JSON array of them; an invalid one is skipped and said."""
    raw = env.get(name, "").strip()
    if not raw:
        return ()
    candidates: list[object] = [raw]
    if raw.startswith("["):
        try:
            loaded = json.loads(raw)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            candidates = loaded
    kept: list[str] = []
    for pattern in candidates:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            _log.warning("a2a-observe: %s: %r is not a regular expression (%s); ignored", name, pattern, exc)
            continue
        kept.append(str(pattern))
    return tuple(kept)


@dataclass(frozen=True)
class Settings:
    """What the instrumentation may record and how much of it."""

    capture_content: bool = False
    max_content_length: int = 4096
    max_attribute_length: int = 1024
    suppress_sdk_spans: bool = True
    agent_spans: bool = False
    """``invoke_agent`` spans around plain agents; off: A2A requests only, as the A2A conventions say."""
    agent_provider: str = semconv.PROVIDER_DEFAULT
    gen_ai_latest_experimental: bool = False
    """``OTEL_SEMCONV_STABILITY_OPT_IN`` names ``gen_ai_latest_experimental``: the conventions'
    next changes are adopted here first, while the default keeps what dashboards know."""
    record_error_messages: bool = False
    """Keep exception messages and error descriptions (redacted) although content capture is
    off. They often repeat what a user sent (``cannot handle 'my card number is ...'``), so by
    default only the exception type is recorded."""
    redact_patterns: tuple[str, ...] = ()
    """Regular expressions whose matches are replaced in every recorded text, on top of the
    built-in ones (``capture.redact_text``)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        latest = gen_ai_latest_experimental(env)
        env = os.environ if env is None else env
        capture = _flag(env, semconv.ENV_CAPTURE_CONTENT, False) or _genai_capture(env, latest)
        sdk_spans = env.get(semconv.ENV_SDK_SPANS, SDK_SPANS_SUPPRESS).strip().lower()
        if sdk_spans not in (SDK_SPANS_SUPPRESS, SDK_SPANS_KEEP):
            _log.warning(
                "a2a-observe: %s=%r is neither %r nor %r; using %r",
                semconv.ENV_SDK_SPANS,
                sdk_spans,
                SDK_SPANS_SUPPRESS,
                SDK_SPANS_KEEP,
                SDK_SPANS_SUPPRESS,
            )
            sdk_spans = SDK_SPANS_SUPPRESS
        return cls(
            capture_content=capture,
            max_content_length=_positive_int(env, semconv.ENV_MAX_CONTENT_LENGTH, 4096),
            max_attribute_length=_positive_int(env, semconv.ENV_MAX_ATTRIBUTE_LENGTH, 1024),
            suppress_sdk_spans=sdk_spans == SDK_SPANS_SUPPRESS,
            agent_spans=_flag(env, semconv.ENV_AGENT_SPANS, False),
            agent_provider=env.get(semconv.ENV_AGENT_PROVIDER, "").strip() or semconv.PROVIDER_DEFAULT,
            gen_ai_latest_experimental=latest,
            record_error_messages=_flag(env, semconv.ENV_RECORD_ERROR_MESSAGES, False),
            redact_patterns=_patterns(env, semconv.ENV_REDACT_PATTERNS),
        )


_SPAN_CONTENT_MODES = frozenset({"SPAN_ONLY", "SPAN_AND_EVENT"})
"""Values of ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` under the latest GenAI
conventions that put content on spans, where ours lives."""


def _genai_capture(env: Mapping[str, str], latest: bool) -> bool:
    """The GenAI content switch, read as OpenTelemetry's GenAI instrumentations read it: a
    boolean by default, a capturing mode (``SPAN_ONLY``...) under the latest conventions."""
    if not latest:
        return _flag(env, semconv.ENV_GENAI_CAPTURE_CONTENT, False)
    raw = env.get(semconv.ENV_GENAI_CAPTURE_CONTENT, "").strip().upper()
    return raw in _SPAN_CONTENT_MODES


def gen_ai_latest_experimental(env: Mapping[str, str] | None = None) -> bool:
    """``OTEL_SEMCONV_STABILITY_OPT_IN`` opts the GenAI conventions into their latest version.

    For the process environment the answer is opentelemetry-instrumentation's own, so every
    GenAI instrumentation in the process agrees; a given mapping is read by the same rule (a
    comma-separated list of modes)."""
    if env is None:
        try:
            from opentelemetry.instrumentation._semconv import (  # noqa: PLC0415 - private, may move
                _OpenTelemetrySemanticConventionStability,
                _OpenTelemetryStabilitySignalType,
                _StabilityMode,
            )

            _OpenTelemetrySemanticConventionStability._initialize()  # type: ignore[no-untyped-call]
            mode = _OpenTelemetrySemanticConventionStability._get_opentelemetry_stability_opt_in_mode(
                _OpenTelemetryStabilitySignalType.GEN_AI
            )
            return bool(mode == _StabilityMode.GEN_AI_LATEST_EXPERIMENTAL)
        except (ImportError, AttributeError):  # a version without the GenAI signal: same rule
            env = os.environ
    modes = {value.strip() for value in env.get(semconv.ENV_SEMCONV_STABILITY_OPT_IN, "").split(",")}
    return semconv.SEMCONV_GEN_AI_LATEST_EXPERIMENTAL in modes


def is_disabled(env: Mapping[str, str] | None = None) -> bool:
    """The documented switch: ``A2A_OBSERVE_DISABLED=true`` or the standard OTel list."""
    env = os.environ if env is None else env
    if _flag(env, semconv.ENV_DISABLED, False):
        return True
    disabled = env.get(semconv.ENV_OTEL_DISABLED_INSTRUMENTATIONS, "")
    names = {name.strip() for name in disabled.split(",")}
    return semconv.INSTRUMENTATION_NAME in names or "a2a_observe" in names
