"""Getting telemetry from other processes into a store: the OTLP/HTTP receiver
(``a2a-observe collect``) and the file import (``a2a-observe import``)."""
