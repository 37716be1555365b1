"""Values written by earlier versions of a2a-observe, read as the A2A conventions spell them.

Earlier versions wrote task states in the protocol's v0.3 spelling (``input-required``), put
the exception's class name in ``error.type`` with the wire code beside it, and made an
``invoke_agent`` span on every request. Stores (and agents still running those versions)
keep such rows, so every read maps them; ``schema.py``'s migration rewrites a writable file
once. Nothing else in the store knows the old spellings.
"""

from __future__ import annotations

from typing import Any

from a2a_observe import semconv

STATE_COLUMNS = frozenset({"task_state", "last_task_state", "state", "from_state"})
_CALL_KINDS = frozenset({"CLIENT", "SERVER"})
_LEGACY_STATES = (
    *("submitted", "working", "input-required", "auth-required", "completed"),
    *("canceled", "cancelled", "failed", "rejected", "unknown"),
)


def upgrade_values(values: dict[str, Any]) -> None:
    """Map one record's columns (and its attributes) in place."""
    for name in STATE_COLUMNS & values.keys():
        values[name] = semconv.task_state(values[name])
    attributes = values.get("attributes")
    if not isinstance(attributes, dict):
        return
    if semconv.A2A_TASK_STATE in attributes:
        attributes[semconv.A2A_TASK_STATE] = semconv.task_state(attributes[semconv.A2A_TASK_STATE])
    original = attributes.pop(semconv.RPC_METHOD_ORIGINAL, None)
    if original is not None:
        attributes.setdefault(semconv.A2A_METHOD_ORIGINAL, original)
    if values.get("kind") in _CALL_KINDS and semconv.ERROR_TYPE in attributes:
        error_type = legacy_error_type(attributes)
        attributes[semconv.ERROR_TYPE] = error_type
        if "error_type" in values:
            values["error_type"] = error_type


def legacy_error_type(attributes: dict[str, Any]) -> Any:
    """The wire code an earlier version recorded beside a class name, where it did."""
    rpc_code = attributes.get(semconv.RPC_RESPONSE_STATUS_CODE)
    http_code = attributes.get(semconv.HTTP_RESPONSE_STATUS_CODE)
    if rpc_code is None and http_code is None:
        return attributes[semconv.ERROR_TYPE]
    return semconv.error_type(
        None if rpc_code is None else str(rpc_code),
        http_code if isinstance(http_code, int) else None,
        str(attributes[semconv.ERROR_TYPE]),
    )


def state_case(column: str) -> str:
    """A SQL ``CASE`` that maps ``column``'s legacy spellings to the convention's values."""
    legacy = {
        spelling: value for spelling in _LEGACY_STATES if (value := semconv.task_state(spelling)) is not None
    }
    whens = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in legacy.items())
    return f"CASE {column} {whens} ELSE {column} END"
