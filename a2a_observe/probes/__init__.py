"""Health probes for an A2A agent: ``/healthz``, ``/readyz`` (and ``/metrics`` beside them).

- :mod:`~a2a_observe.probes.health`: what liveness and readiness check and answer;
- :mod:`~a2a_observe.probes.web`: mounting them on a Starlette/FastAPI or Flask app, or serving
  them on a port of their own.
"""
