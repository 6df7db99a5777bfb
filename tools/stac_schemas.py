"""Install the JSON schemas of the STAC extensions that batch job results use, for the offline tests.

No package installs the schemas of the projection, raster, eo and file extensions. The source distributions of
pystac's extension packages on PyPI hold them in the recorded HTTP answers of their own tests
(``tests/cassettes/**/*.yaml``): this takes each schema from there, for the version of the extension that
the installed pystac writes, and saves it as ``<folder>/<name>-<version>.json``. Run by ``make
stac-schemas``; tests/support/stac_schemas.py reads the folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

import yaml
from pystac.extensions import eo, file, projection, raster

# The pystac extension package whose source distribution records each schema the results declare.
WANTED = {
    projection.SCHEMA_URI: "pystac-ext-projection",
    raster.SCHEMA_URI: "pystac-ext-raster",
    eo.SCHEMA_URI: "pystac-ext-eo",
    file.SCHEMA_URI: "pystac-ext-file",
}


def recorded_schemas(sdist: Path) -> dict[str, dict]:
    """Every JSON document a test cassette of ``sdist`` recorded as the answer to a GET, by address."""
    found = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if "/tests/cassettes/" not in member.name or not member.name.endswith(".yaml"):
                continue
            cassette = yaml.safe_load(archive.extractfile(member))
            for interaction in cassette.get("interactions", []):
                body = interaction["response"].get("body", {}).get("string")
                if interaction["response"]["status"]["code"] == 200 and isinstance(body, str):
                    try:
                        found[interaction["request"]["uri"]] = json.loads(body)
                    except json.JSONDecodeError:
                        continue
    return found


def download_sdist(package: str, folder: Path) -> Path:
    requirement = f"{package}=={version(package)}"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        + ["--dest", str(folder), requirement],
        check=True,
    )
    return next(folder.glob(f"{package.replace('-', '_')}-*.tar.gz"))


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for uri, package in WANTED.items():
            schema = recorded_schemas(download_sdist(package, Path(scratch))).get(uri)
            if schema is None or schema.get("$id", "").rstrip("#") != uri:
                sys.exit(f"{package} {version(package)} records no schema {uri}")
            name, release = uri.split("/")[-3:-1]
            (target / f"{name}-{release}.json").write_text(json.dumps(schema, indent=1))
            print(f"{uri} -> {target / f'{name}-{release}.json'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
