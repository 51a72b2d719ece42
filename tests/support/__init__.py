"""Support shared by the test layers: polling, free ports, fake collectors, Kafka, spans, names.

- `polling.eventually`: wait for a condition, failing with what was awaited.
- `ports.free_ports`: TCP ports free on 127.0.0.1.
- `collectors`: fake Zipkin collectors (healthy, failing with a status, hung, refusing).
- `kafka`: clients that read or write topics directly, and a consumer group's assignment.
- `spans`: records to send, and decoders of the proto3 wire format.
- `names`: the constant names aiozipkin 1.1.1 documented, as the surface tests pin them.
"""

from __future__ import annotations

__all__: list[str] = []
