"""The library-neutral observation: what every adapter reports, whatever the A2A library.

- :mod:`~a2a_observe.observation.facts`: the neutral facts an adapter translates its library's
  objects into;
- :mod:`~a2a_observe.observation.observer`: the one place that turns those facts into spans,
  metrics and log context;
- :mod:`~a2a_observe.observation.capture`: what of a message may be recorded, redacted and capped.

Adapters (:mod:`a2a_observe.instrumentation`) sit above this package and signals below it.
"""
