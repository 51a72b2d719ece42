"""Benchmarks of aiozipkin side by side with reference tracers; `make bench` runs them all.

Worker modules here import no tracing library at module level: the same module runs under
this repository's virtualenv (our library) and under the reference virtualenv (aiozipkin
1.1.1, py_zipkin, OpenTelemetry), which installs under the same import name.
"""

from __future__ import annotations

__all__: list[str] = []
