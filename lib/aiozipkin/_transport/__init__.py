"""The transport core, in layers; `aiozipkin.transport` is its public face.

- `base`: `TransportABC`, and `EncodedSpanSink`, what `MultiTransport` fans encoded spans to.
- `codec`: how one span is encoded and how a batch of encoded spans is framed.
- `compress`: gzip, by ISA-L when installed, else zlib.
- `queue`: the span queue, bounded by count and bytes, with batch taking and drop counters.
- `retry`: the retry policy: backoff with jitter, `Retry-After`, a time budget, attempts.
- `sender`: the protocol a sender implements, and the outcome of one delivery.
- `http`: the sender posting to a Zipkin v2 collector.
- `batching`: `BatchingTransport`, which composes a queue, a retry policy and a sender.

Each layer imports only the ones listed before it (and `aiozipkin.encoding`/`record`).
"""

from __future__ import annotations

__all__: list[str] = []
