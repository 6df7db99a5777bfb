"""Copy the facts of the official openEO process definitions into the project's own spec files.

Facts are ids, categories, flags, parameter names/order, schemas, defaults, return schemas, exception codes
and the arguments/results of examples. Prose (summaries, descriptions, exception messages) is never copied:
a new file gets empty prose to be written by hand, an existing file keeps the prose it has.

    .venv/bin/python tools/process_facts.py [--spec-dir DIR] [PROCESS_ID ...]

Without ids, every top-level process and the proposals listed in ``PROPOSALS`` are written.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "openeo_gip" / "processes" / "specs"

# Experimental proposals the project describes (others, e.g. the ARD processes, are out of scope).
PROPOSALS = [
    "aggregate_spatial_window", "array_create_labeled", "array_find_label", "array_modify", "cummax",
    "cummin", "cumproduct", "cumsum", "date_difference", "export_workspace", "fit_curve",
    "flatten_dimensions", "is_infinite", "load_geojson", "load_stac", "load_uploaded_files", "load_url",
    "predict_curve", "reduce_spatial", "text_find", "unflatten_dimension", "vector_buffer",
    "vector_reproject",
]  # fmt: skip

# Keys of a process that are neither facts nor our prose: links point to others' pages, and the
# reference process graphs are implementation notes.
DROPPED_KEYS = {"links", "process_graph"}


def default_spec_dir() -> Path:
    return Path(os.environ.get("OPENEO_SPEC_DIR") or ROOT.parent / "shared" / "openeo-spec")


def official_path(spec_dir: Path, process_id: str) -> Path:
    top = spec_dir / "processes" / f"{process_id}.json"
    return top if top.exists() else spec_dir / "processes" / "proposals" / f"{process_id}.json"


def schema_facts(schema: Any) -> Any:
    """A schema without its prose: ``description`` keys go, ``title`` labels stay. Parameters of a
    callback (subtype ``process-graph``) keep an empty ``description``, which the API requires."""
    if isinstance(schema, list):
        return [schema_facts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: schema_facts(sub) for name, sub in value.items()}
        elif key == "parameters" and schema.get("subtype") == "process-graph":
            result[key] = [callback_parameter_facts(param) for param in value]
        else:
            result[key] = schema_facts(value)
    return result


def callback_parameter_facts(param: dict) -> dict:
    result: dict[str, Any] = {"name": param["name"], "description": ""}
    for key, value in param.items():
        if key not in ("name", "description"):
            result[key] = schema_facts(value) if key == "schema" else value
    return result


def process_facts(official: dict) -> dict:
    """The facts of one official process description, shaped as a process with empty prose."""
    spec: dict[str, Any] = {"id": official["id"], "summary": "", "description": ""}
    for key, value in official.items():
        if key in DROPPED_KEYS or key in spec:
            continue
        if key == "parameters":
            spec[key] = [parameter_facts(param) for param in value]
        elif key == "returns":
            spec[key] = {"description": "", "schema": schema_facts(value["schema"])}
        elif key == "exceptions":
            spec[key] = {code: {"message": ""} for code in value}
        elif key == "examples":
            spec[key] = [{k: v for k, v in ex.items() if k not in ("title", "description")} for ex in value]
        else:
            spec[key] = value
    return spec


def parameter_facts(param: dict) -> dict:
    result: dict[str, Any] = {"name": param["name"], "description": ""}
    for key, value in param.items():
        if key not in ("name", "description"):
            result[key] = schema_facts(value) if key == "schema" else value
    return result


def keep_prose(new: dict, old: dict) -> dict:
    """Carry the prose of the existing file ``old`` over into the fresh facts ``new``."""
    for key in ("summary", "description"):
        new[key] = old.get(key) or ""
    old_params = {p["name"]: p for p in old.get("parameters", [])}
    for param in new.get("parameters", []):
        previous = old_params.get(param["name"], {})
        param["description"] = previous.get("description") or ""
        _carry_nested(param["schema"], previous.get("schema"))
    if "returns" in new:
        new["returns"]["description"] = old.get("returns", {}).get("description") or ""
        _carry_nested(new["returns"]["schema"], old.get("returns", {}).get("schema"))
    old_exceptions = old.get("exceptions", {})
    for code, exception in new.get("exceptions", {}).items():
        exception["message"] = old_exceptions.get(code, {}).get("message") or ""
    return new


def _carry_nested(new: Any, old: Any) -> None:
    """Copy the callback parameters' descriptions where the old schema has the same shape."""
    if isinstance(new, dict) and isinstance(old, dict):
        for key, value in new.items():
            if key == "description" and isinstance(old.get(key), str):
                new[key] = old[key]
            elif key in old:
                _carry_nested(value, old[key])
    elif isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        for new_item, old_item in zip(new, old, strict=True):
            same_name = not isinstance(new_item, dict) or new_item.get("name") == old_item.get("name")
            if same_name:
                _carry_nested(new_item, old_item)


def update(process_id: str, spec_dir: Path, target: Path = TARGET) -> Path:
    official = json.loads(official_path(spec_dir, process_id).read_text(encoding="utf-8"))
    spec = process_facts(official)
    path = target / f"{process_id}.json"
    if path.exists():
        spec = keep_prose(spec, json.loads(path.read_text(encoding="utf-8")))
    path.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def all_ids(spec_dir: Path) -> list[str]:
    top = sorted(p.stem for p in (spec_dir / "processes").glob("*.json"))
    return top + [pid for pid in PROPOSALS if (spec_dir / "processes" / "proposals" / f"{pid}.json").exists()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("ids", nargs="*", help="process ids (default: all described processes)")
    parser.add_argument("--spec-dir", type=Path, default=default_spec_dir())
    args = parser.parse_args()
    for process_id in args.ids or all_ids(args.spec_dir):
        print(update(process_id, args.spec_dir).relative_to(ROOT))


if __name__ == "__main__":
    main()
