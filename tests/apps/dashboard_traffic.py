"""The demo agent network under steady traffic, its metrics on /metrics: what Prometheus
scrapes in the dashboards' end-to-end test and when the dashboard pictures are drawn.

Prints ``METRICS <url>`` once serving, ``WARM`` after one round of every turn, then keeps
sending the turns (skipping the agents named by ``--idle``, so they go quiet) until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import python_a2a  # noqa: F401  (configures the root logger at import; quietened below)
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

import a2a_observe
from a2a_observe.demo.network import TURNS, demo_network, send_turn, traffic
from a2a_observe.demo.serving import free_port
from a2a_observe.signals.prometheus import PrometheusReader, serve_metrics

parser = argparse.ArgumentParser()
parser.add_argument("--idle", action="append", default=[], help="agent to leave alone after the first round")
parser.add_argument("--pause", type=float, default=0.3, help="seconds between rounds")
args = parser.parse_args()

logging.getLogger().setLevel(logging.WARNING)
for noisy in ("a2a", "python_a2a", "grpc", "werkzeug"):
    logging.getLogger(noisy).setLevel(logging.CRITICAL)

resource = Resource.create({"service.name": "a2a-dashboards-traffic"})
trace.set_tracer_provider(TracerProvider(resource=resource))  # sampled spans give the exemplars
metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[PrometheusReader()]))
a2a_observe.instrument()


async def main() -> None:
    with demo_network() as network:
        server = serve_metrics(free_port())
        print(f"METRICS http://127.0.0.1:{server.server_port}/metrics", flush=True)
        await traffic(network)
        print("WARM", flush=True)
        live = [turn for turn in TURNS if turn.agent not in args.idle]
        while True:
            for turn in live:
                await send_turn(network, turn)
            await asyncio.sleep(args.pause)


try:
    asyncio.run(main())
except KeyboardInterrupt:
    sys.exit(0)
