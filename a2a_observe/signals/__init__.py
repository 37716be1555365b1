"""OpenTelemetry signals out of the process, and whether they get there.

- :mod:`~a2a_observe.signals.providers`: SDK providers from the standard ``OTEL_*`` environment;
- :mod:`~a2a_observe.signals.metrics`: the metric instruments the observation feeds;
- :mod:`~a2a_observe.signals.prometheus`: a pull reader with exemplars, ``/metrics`` apps;
- :mod:`~a2a_observe.signals.exporter_health`: are the exporters delivering (read, no I/O);
- :mod:`~a2a_observe.signals.span_starts`: a log record when a SERVER or agent span starts.

Nothing here knows an A2A library; everything here may run inside the observed app.
"""
