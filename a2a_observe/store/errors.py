"""The one exception the store raises, so callers can tell a bad store file from a bug."""

from __future__ import annotations


class StoreError(Exception):
    """The store file cannot be opened, read or written; the message names the file and why."""


class BatchRefused(StoreError):
    """One batch's own data cannot be stored (the store took other batches meanwhile).

    Sending it again gives the same answer, so the receiver answers 400, not a retryable 503."""
