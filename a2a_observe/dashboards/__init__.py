"""Grafana dashboards and Prometheus rules for the metrics a2a-observe exports.

Generated from code so that every query names a metric the instrumentation really emits
(the names come from the instruments, see :mod:`a2a_observe.dashboards.names`), and so that
thresholds and windows are parameters: :mod:`a2a_observe.dashboards.rules`.
"""
