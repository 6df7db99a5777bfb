"""Parity of the project's process metadata with openeo-processes 2.0.0-rc.2.

Facts must equal the official definitions; prose must exist and be the project's own wording.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

import openeo_gip.processes.specs as specs_package
from openeo_gip.processes.registry import implementations
from openeo_gip.processes.specs import EXTENSIONS, all_specs, get_spec
from tests.support.openapi import spec_dir

SPECS = all_specs()
# Described by the official definitions; the extensions have their own checks below.
OFFICIAL = sorted(pid for pid in SPECS if pid not in EXTENSIONS)
# Above this difflib ratio a text counts as copied or lightly reworded.
MAX_SIMILARITY = 0.8
# Paragraphs shorter than this are compared only as part of the whole text (a bare "Returns `null`."
# may legitimately coincide).
MIN_PARAGRAPH = 40


def official(process_id: str) -> dict:
    base = spec_dir() / "processes"
    path = base / f"{process_id}.json"
    if not path.exists():
        path = base / "proposals" / f"{process_id}.json"
    assert path.exists(), f"{process_id} has no official definition"
    return json.loads(path.read_text(encoding="utf-8"))


def without_prose(value: Any, in_properties: bool = False) -> Any:
    """``value`` with every ``description``, ``summary`` and exception message removed."""
    if isinstance(value, list):
        return [without_prose(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if not in_properties and key in ("description", "summary", "message"):
            continue
        result[key] = without_prose(item, in_properties=key == "properties" and not in_properties)
    return result


def facts(spec: dict) -> dict:
    stripped = without_prose(spec)
    for example in stripped.get("examples", []):
        example.pop("title", None)
    return stripped


def prose_pairs(ours: Any, theirs: Any, where: str = "") -> list[tuple[str, str, str | None]]:
    """(location, our text, official text or None) of every prose string in ``ours``."""
    pairs: list[tuple[str, str, str | None]] = []
    if isinstance(ours, dict):
        theirs = theirs if isinstance(theirs, dict) else {}
        for key, value in ours.items():
            if key in ("summary", "description", "message") and isinstance(value, str):
                other = theirs.get(key)
                pairs.append((f"{where}/{key}", value, other if isinstance(other, str) else None))
            elif key == "parameters" and isinstance(value, list):
                by_name = {p.get("name"): p for p in theirs.get("parameters", []) if isinstance(p, dict)}
                for param in value:
                    pairs += prose_pairs(param, by_name.get(param["name"]), f"{where}/{param['name']}")
            elif key != "examples":
                pairs += prose_pairs(value, theirs.get(key), f"{where}/{key}")
    elif isinstance(ours, list):
        theirs = theirs if isinstance(theirs, list) and len(theirs) == len(ours) else [None] * len(ours)
        for index, (item, other) in enumerate(zip(ours, theirs, strict=True)):
            pairs += prose_pairs(item, other, f"{where}[{index}]")
    return pairs


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def paragraphs(text: str) -> list[str]:
    return [p for p in (normalized(p) for p in re.split(r"\n\s*\n", text)) if len(p) >= MIN_PARAGRAPH]


def similarity(ours: str, theirs: str) -> float:
    """The highest difflib ratio between the two texts, or between any two of their long paragraphs."""
    ratios = [difflib.SequenceMatcher(None, normalized(ours), normalized(theirs)).ratio()]
    for mine in paragraphs(ours):
        for other in paragraphs(theirs):
            ratios.append(difflib.SequenceMatcher(None, mine, other).ratio())
    return max(ratios)


def callback_parameters(value: Any) -> list[dict]:
    """Every parameter of every callback (``subtype: process-graph``) found anywhere in ``value``."""
    found: list[dict] = []
    if isinstance(value, dict):
        if value.get("subtype") == "process-graph":
            found += value.get("parameters", [])
        for item in value.values():
            found += callback_parameters(item)
    elif isinstance(value, list):
        for item in value:
            found += callback_parameters(item)
    return found


def process_list_item_validator() -> OAS30Validator:
    """A validator for one entry of the official `GET /processes` response."""
    document = yaml.safe_load((spec_dir() / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    response = document["paths"]["/processes"]["get"]["responses"]["200"]["content"]["application/json"]
    item = response["schema"]["properties"]["processes"]["items"]
    # Same repair as tests/support/openapi.py: the data-type oneOf can never match, "any of" is meant.
    data_type = document["components"]["schemas"]["process_json_schema"]
    data_type["anyOf"] = data_type.pop("oneOf")
    return OAS30Validator(dict(item, components=document["components"]))


def test_specs_are_valid_process_list_entries() -> None:
    validator = process_list_item_validator()
    errors = {pid: [e.message for e in validator.iter_errors(spec)] for pid, spec in SPECS.items()}
    assert {pid: messages for pid, messages in errors.items() if messages} == {}


def test_every_official_top_level_process_is_described() -> None:
    official_ids = {path.stem for path in (spec_dir() / "processes").glob("*.json")}
    assert official_ids - set(SPECS) == set()


def test_exactly_the_implemented_processes_are_described() -> None:
    """A process without a description could not be offered, a description without an implementation
    would be dead."""
    assert sorted(implementations()) == sorted(SPECS)


@pytest.mark.parametrize("process_id", OFFICIAL)
def test_facts_equal_the_official_definition(process_id: str) -> None:
    ours = SPECS[process_id]
    reference = official(process_id)
    assert "links" not in ours
    reference.pop("links", None)
    reference.pop("process_graph", None)
    assert facts(ours) == facts(reference)
    assert set(ours.get("exceptions", {})) == set(reference.get("exceptions", {}))


@pytest.mark.parametrize("process_id", sorted(SPECS))
def test_prose_is_complete_and_our_own(process_id: str) -> None:
    ours = SPECS[process_id]
    pairs = prose_pairs(ours, {} if process_id in EXTENSIONS else official(process_id))
    expected = 3 + len(ours["parameters"]) + len(ours.get("exceptions", {}))  # summary, description, returns
    assert len(pairs) >= expected
    empty = [where for where, text, _ in pairs if not text.strip()]
    empty += [
        f"callback parameter {p['name']}" for p in callback_parameters(ours) if not p.get("description")
    ]
    assert empty == [], f"missing prose in {process_id}: {empty}"
    copied = [
        (where, round(similarity(text, other), 2))
        for where, text, other in pairs
        if other and similarity(text, other) > MAX_SIMILARITY
    ]
    assert copied == [], f"wording too close to the specification in {process_id}: {copied}"


def test_spec_files_match_their_ids_and_are_read_only_copies() -> None:
    folder = Path(specs_package.__file__).parent
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(SPECS)
    spec = get_spec("ndvi")
    assert spec is not None and spec["id"] == "ndvi"
    spec["summary"] = "changed"
    assert get_spec("ndvi")["summary"] != "changed"
    assert get_spec("no_such_process") is None


@pytest.mark.parametrize("process_id", sorted(EXTENSIONS))
def test_extensions_are_described_and_really_not_official(process_id: str) -> None:
    base = spec_dir() / "processes"
    assert not (base / f"{process_id}.json").exists()
    assert not (base / "proposals" / f"{process_id}.json").exists()
    spec = SPECS[process_id]
    assert spec["id"] == process_id and spec["parameters"] and spec["returns"]["schema"]
    assert spec.get("experimental") is True  # not standardised: clients should see that
