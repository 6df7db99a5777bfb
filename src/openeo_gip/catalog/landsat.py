"""Landsat 8 and 9 Collection 2 products (``LC08_L2SP_192028_20220603_20220616_02_T1/``), Level-1 and Level-2.

Read from ``*_MTL.xml`` (or ``*_MTL.txt`` when there is no XML): the acquisition date and scene centre time
(the item's time), the cloud cover, the spacecraft, the sun elevation and the rescaling of each band. Level-2
(``L2SP``, ``L2SR``): surface reflectance ``SR_B1``-``SR_B7`` (USGS: DN x 0.0000275 - 0.2) and surface
temperature ``ST_B10`` in kelvin (``L2SP`` only). Level-1 (``L1TP``, ``L1GT``, ``L1GS``): top-of-atmosphere
reflectance ``B1``-``B9`` corrected for the sun elevation (the MTL's rescaling divided by its sine; ``B8`` at
15 m) and the thermal ``B10``, ``B11`` as radiance. Both have the cloud mask ``QA_PIXEL`` (bit flags; its
fill value 1 is no data).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from pathlib import Path

from openeo_gip.catalog.product_parts import Product, ProductBand, xml_values
from openeo_gip.model.dates import rfc3339

LANDSAT_NAME = re.compile(
    r"^L[CO](?P<mission>0[89])_(?P<level>L1TP|L1GT|L1GS|L2SP|L2SR)_(?P<path_row>\d{6})_\d{8}_\d{8}_02_(T1|T2|RT)$",
    re.IGNORECASE,
)
# OLI/TIRS bands: common name and centre wavelength (micrometres).
OLI_TIRS = {
    "1": ("coastal", 0.443),
    "2": ("blue", 0.482),
    "3": ("green", 0.561),
    "4": ("red", 0.655),
    "5": ("nir08", 0.865),
    "6": ("swir16", 1.609),
    "7": ("swir22", 2.201),
    "8": ("pan", 0.591),
    "9": ("cirrus", 1.373),
    "10": ("lwir11", 10.895),
    "11": ("lwir12", 12.005),
}
QA_PIXEL_DESCRIPTION = (
    "Pixel quality bit flags (QA_PIXEL): bit 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow, "
    "6 clear, 7 water; bits 8-15 confidences"
)


def is_landsat(path: Path) -> bool:
    return LANDSAT_NAME.match(path.name) is not None


def read_landsat(path: Path) -> Product:
    name = LANDSAT_NAME.match(path.name)
    mtl = read_mtl(path)
    attributes = mtl.get("IMAGE_ATTRIBUTES", {})
    level = name["level"].upper()
    when = _acquired(attributes)
    bands = _level2_bands(path, mtl) if level.startswith("L2") else _level1_bands(path, mtl)
    if not bands:
        raise ValueError("no band files named like the product")
    qa_pixel = path / f"{path.name}_QA_PIXEL.TIF"
    if qa_pixel.is_file():
        bands.append(ProductBand("QA_PIXEL", qa_pixel, nodata=1.0, description=QA_PIXEL_DESCRIPTION))
    mission = int(name["mission"])
    properties: dict = {
        "platform": f"landsat-{mission}",
        "instruments": ["oli", "tirs"],
        "grid:code": f"WRS2-{name['path_row']}",
        "processing:level": level,
    }
    if "CLOUD_COVER" in attributes:
        properties["eo:cloud_cover"] = float(attributes["CLOUD_COVER"])
    if "SUN_ELEVATION" in attributes:
        properties["view:sun_elevation"] = float(attributes["SUN_ELEVATION"])
    return Product(f"Landsat Collection 2 {level[:2]}", when, bands, properties)


def read_mtl(path: Path) -> dict[str, dict[str, str]]:
    """The MTL metadata of the product folder as group -> key -> text, from the XML or else the text file."""
    xml_file = path / f"{path.name}_MTL.xml"
    if xml_file.is_file():
        groups: dict[str, dict[str, str]] = {}
        root = xml_values(xml_file)["LANDSAT_METADATA_FILE"][0]
        for group in root:
            groups[group.tag] = {child.tag: (child.text or "").strip() for child in group}
        return groups
    text_file = path / f"{path.name}_MTL.txt"
    if not text_file.is_file():
        raise ValueError(f"no {xml_file.name} or {text_file.name}")
    return _parse_mtl_text(text_file.read_text(encoding="utf-8", errors="replace"))


def _parse_mtl_text(text: str) -> dict[str, dict[str, str]]:
    """``GROUP = NAME`` ... ``KEY = value`` ... ``END_GROUP = NAME``: the innermost group of each key."""
    groups: dict[str, dict[str, str]] = {}
    stack: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip().strip('"')
        if not sep:
            continue
        if key == "GROUP":
            stack.append(value)
            groups.setdefault(value, {})
        elif key == "END_GROUP":
            if stack:
                stack.pop()
        elif stack:
            groups[stack[-1]][key] = value
    return groups


def _acquired(attributes: dict[str, str]) -> str:
    date = attributes.get("DATE_ACQUIRED")
    if not date:
        raise ValueError("the MTL metadata has no DATE_ACQUIRED")
    time = re.match(r"\d{2}:\d{2}:\d{2}", attributes.get("SCENE_CENTER_TIME", ""))
    return rfc3339(dt.datetime.fromisoformat(f"{date}T{time[0] if time else '00:00:00'}"))


def _number(mtl: dict, group: str, key: str) -> float:
    try:
        return float(mtl[group][key])
    except (KeyError, ValueError):
        raise ValueError(f"the MTL metadata has no {group} {key}") from None


def _band(path: Path, name: str, number: str, **kwargs) -> ProductBand | None:
    file = path / f"{path.name}_{name}.TIF"
    if not file.is_file():
        return None
    common_name, wavelength = OLI_TIRS[number]
    return ProductBand(name, file, common_name=common_name, center_wavelength=wavelength, **kwargs)


def _level2_bands(path: Path, mtl: dict) -> list[ProductBand]:
    group = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"
    bands = _rescaled(path, mtl, group, "SR_B", range(1, 8), "REFLECTANCE", "Surface reflectance")
    if (path / f"{path.name}_ST_B10.TIF").is_file():
        group = "LEVEL2_SURFACE_TEMPERATURE_PARAMETERS"
        bands.append(
            _band(
                path,
                "ST_B10",
                "10",
                scale=_number(mtl, group, "TEMPERATURE_MULT_BAND_ST_B10"),
                offset=_number(mtl, group, "TEMPERATURE_ADD_BAND_ST_B10"),
                description="Surface temperature (K)",
            )
        )
    return [band for band in bands if band is not None]


def _level1_bands(path: Path, mtl: dict) -> list[ProductBand]:
    group = "LEVEL1_RADIOMETRIC_RESCALING"
    sine = math.sin(math.radians(_number(mtl, "IMAGE_ATTRIBUTES", "SUN_ELEVATION")))
    reflectance = "Top-of-atmosphere reflectance (sun elevation corrected)"
    bands = _rescaled(path, mtl, group, "B", range(1, 10), "REFLECTANCE", reflectance, sine)
    radiance = "Top-of-atmosphere radiance (W / (m2 sr um))"
    bands += _rescaled(path, mtl, group, "B", (10, 11), "RADIANCE", radiance)
    return [band for band in bands if band is not None]


def _rescaled(
    path: Path,
    mtl: dict,
    group: str,
    prefix: str,
    numbers: Iterable[int],
    quantity: str,
    description: str,
    divisor: float = 1.0,
) -> list[ProductBand | None]:
    """Bands ``prefix``+number with the scale and offset of ``quantity`` (``REFLECTANCE``, ``RADIANCE``)
    the MTL's ``group`` states for each, divided by ``divisor``."""
    return [
        _band(
            path,
            f"{prefix}{n}",
            str(n),
            scale=_number(mtl, group, f"{quantity}_MULT_BAND_{n}") / divisor,
            offset=_number(mtl, group, f"{quantity}_ADD_BAND_{n}") / divisor,
            description=description,
        )
        for n in numbers
    ]
