"""The table of process implementations, filled by ``@process`` when the family modules are imported, and
the predefined processes handed to the engine: each implemented process with its description."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import openeo_gip.processes as _package
from openeo_gip.processes.specs import all_specs


@dataclass(frozen=True)
class Implementation:
    id: str
    func: Callable
    needs_context: bool
    # Parameters that accept more than their official schema, by name: the schema this back-end accepts.
    wider_schemas: Mapping[str, dict] = field(default_factory=dict)


_TABLE: dict[str, Implementation] = {}


def process(
    process_id: str | None = None, *, wider_schemas: Mapping[str, dict] | None = None
) -> Callable[[Callable], Callable]:
    """Register a function as the implementation of ``process_id`` (default: the function's name, with a
    trailing underscore removed, so ``and_`` implements ``and``). ``wider_schemas`` replaces the official
    schema of the parameters named (the spec files state the official facts only) in what ``GET
    /processes`` shows and what validation checks alike."""

    def register(func: Callable) -> Callable:
        pid = process_id or func.__name__.rstrip("_")
        if pid in _TABLE:
            raise RuntimeError(f"process {pid} is implemented twice")
        needs_context = "ctx" in inspect.signature(func).parameters
        _TABLE[pid] = Implementation(pid, func, needs_context, dict(wider_schemas or {}))
        return func

    return register


def implementations() -> dict[str, Implementation]:
    """Every implemented process, after importing all family modules of ``openeo_gip.processes``."""
    for module in pkgutil.walk_packages(_package.__path__, prefix=f"{_package.__name__}."):
        if not module.name.endswith((".registry", ".specs")):
            importlib.import_module(module.name)
    return _TABLE


@dataclass(frozen=True)
class PredefinedProcess:
    """A process this back-end offers: its openEO description (``processes/specs``, with the wider schemas
    of its implementation) and its implementation."""

    spec: dict
    implementation: Implementation


@functools.cache
def offered() -> dict[str, PredefinedProcess]:
    """Every process this back-end offers, implemented and described, by id (sorted by id)."""
    specs = all_specs()
    table = implementations()
    return {
        pid: PredefinedProcess(_widened(spec, table[pid]), table[pid])
        for pid, spec in specs.items()
        if pid in table
    }


def _widened(spec: dict, implementation: Implementation) -> dict:
    wider = implementation.wider_schemas
    unknown = set(wider) - {parameter["name"] for parameter in spec["parameters"]}
    if unknown:
        raise RuntimeError(f"{spec['id']} widens parameters it does not have: {sorted(unknown)}")
    if not wider:
        return spec
    parameters = [
        {**parameter, "schema": wider[parameter["name"]]} if parameter["name"] in wider else parameter
        for parameter in spec["parameters"]
    ]
    return {**spec, "parameters": parameters}


def predefined(process_id: str) -> PredefinedProcess | None:
    """The lookup of predefined processes the engine receives (``engine.definitions.Processes``)."""
    return offered().get(process_id)
