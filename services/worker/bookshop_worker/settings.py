"""Settings of the worker service, read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookshop_common import Env, OrderFlowSettings, env_var

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings(OrderFlowSettings):
    """Where the broker, cache and db_proxy are, how to consume, plus the common settings."""

    service_name = "worker"
    default_port = 8084

    consumer_group: str = field(metadata=env_var("JOB_CONSUMER_GROUP", Env.text, "bookshop-worker"))
    job_attempts: int = field(
        metadata=env_var("JOB_ATTEMPTS", Env.integer, 5, minimum=1, maximum=100)
    )
