"""What a reader of one kind of satellite product (``sentinel2.py``, ``landsat.py``) gives ``products.py``:
the product's time and properties, and per band the file, layer, nodata, scale and offset."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree


@dataclass
class ProductBand:
    """One band of a product: the layer ``index`` of ``path`` and how its numbers become values."""

    name: str
    path: Path
    index: int = 1
    nodata: float | None = 0.0
    scale: float = 1.0
    offset: float = 0.0
    common_name: str | None = None
    center_wavelength: float | None = None  # micrometres
    description: str | None = None


@dataclass
class Product:
    kind: str  # e.g. "Sentinel-2 L2A": the products of one collection are of one kind
    datetime: str  # RFC 3339, UTC
    bands: list[ProductBand]
    properties: dict = field(default_factory=dict)


def xml_values(path: Path) -> dict[str, list[ElementTree.Element]]:
    """The elements of an XML file by their name without namespace (the products' metadata is looked up by
    element name, whatever the namespaces of its schema version)."""
    found: dict[str, list[ElementTree.Element]] = {}
    for element in ElementTree.parse(path).getroot().iter():
        found.setdefault(element.tag.rsplit("}", 1)[-1], []).append(element)
    return found
