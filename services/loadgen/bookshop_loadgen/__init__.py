"""Bookshop load generator: a steady mix of reads and orders, summarised per endpoint."""

from .cli import LoadConfig, parse_args
from .mix import Endpoint, FaultMix, Mix, MixError, parse_fault, parse_fault_mix, parse_mix
from .runner import FrontendUnreachable, run_load
from .stats import Group, Sample, Summary, percentile, summarize

__all__ = [
    "Endpoint",
    "FaultMix",
    "FrontendUnreachable",
    "Group",
    "LoadConfig",
    "Mix",
    "MixError",
    "Sample",
    "Summary",
    "parse_args",
    "parse_fault",
    "parse_fault_mix",
    "parse_mix",
    "percentile",
    "run_load",
    "summarize",
]
