"""Shared plumbing of the bookshop demo services."""

from . import api
from .api import ApiViews, add_api_routes
from .errors import ApiError, UpstreamError
from .faults import (
    FAULT_HEADER,
    Fault,
    FaultPlan,
    FaultSpecError,
    InjectedFault,
    apply_faults,
    apply_holds,
    current_fault_spec,
    parse_fault_spec,
    reset_fault_spec,
    set_fault_spec,
)
from .health import HealthCheck
from .runner import run_service
from .settings import BaseSettings, Env, OrderFlowSettings, ServiceSettings, SettingsError, env_var
from .upstream import Reply, Upstream
from .validate import MAX_ID, int_field, parse_id, reject_unknown_fields
from .web import (
    CACHE_KEY,
    DB_PROXY_KEY,
    TRACE_ID_HEADER,
    CleanupCtx,
    TracerFactory,
    order_flow_app,
    read_json_object,
    service_app,
)

__all__ = [
    "CACHE_KEY",
    "DB_PROXY_KEY",
    "FAULT_HEADER",
    "MAX_ID",
    "TRACE_ID_HEADER",
    "ApiError",
    "ApiViews",
    "BaseSettings",
    "CleanupCtx",
    "Env",
    "Fault",
    "FaultPlan",
    "FaultSpecError",
    "HealthCheck",
    "InjectedFault",
    "OrderFlowSettings",
    "Reply",
    "ServiceSettings",
    "SettingsError",
    "TracerFactory",
    "Upstream",
    "UpstreamError",
    "add_api_routes",
    "api",
    "apply_faults",
    "apply_holds",
    "current_fault_spec",
    "env_var",
    "int_field",
    "order_flow_app",
    "parse_fault_spec",
    "parse_id",
    "read_json_object",
    "reject_unknown_fields",
    "reset_fault_spec",
    "run_service",
    "service_app",
    "set_fault_spec",
]
