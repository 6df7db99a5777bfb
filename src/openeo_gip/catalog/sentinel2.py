"""Sentinel-2 Level-1C and Level-2A products in the SAFE format (``S2A_MSIL2A_..._T32TPS_....SAFE``).

Read from ``MTD_MSIL1C.xml``/``MTD_MSIL2A.xml``: the start of sensing (the item's time), the processing
baseline, the quantification value, the radiometric offsets per band (baseline 04.00 and later: reflectance =
(DN + offset) / quantification), the value of no data, the cloud cover and the spacecraft. The band files are
the JPEG 2000 files of ``GRANULE/*/IMG_DATA`` (Level-2A: the finest of ``R10m``, ``R20m``, ``R60m`` each band
has). The cloud mask: Level-2A's scene classification ``SCL``; Level-1C's ``QI_DATA/MSK_CLASSI_B00.jp2``
(baseline 04.00 and later; older products have their masks as GML vectors, which are left out).
"""

from __future__ import annotations

import re
from pathlib import Path

from openeo_gip.catalog.metadata import sentinel2_band
from openeo_gip.catalog.product_parts import Product, ProductBand, xml_values
from openeo_gip.model.dates import rfc3339

SAFE_NAME = re.compile(
    r"^S2[A-D]_MSI(?P<level>L1C|L2A)_\d{8}T\d{6}_N\d{4}_R\d{3}_T(?P<tile>\w{5})_\d{8}T\d{6}\.SAFE$",
    re.IGNORECASE,
)
# The band_id of the radiometric offsets in the metadata is the position in this list.
BAND_IDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
SCL_DESCRIPTION = (
    "Scene classification: 0 no data, 1 saturated or defective, 2 dark area, 3 cloud shadow, 4 vegetation, "
    "5 not vegetated, 6 water, 7 unclassified, 8 cloud (medium probability), 9 cloud (high probability), "
    "10 thin cirrus, 11 snow or ice"
)
# Layers of MSK_CLASSI_B00.jp2 (1 where the class is present, 0 elsewhere).
CLASSI_LAYERS = {
    "OPAQUE_CLOUDS": "Opaque clouds (1) from the Level-1C cloud mask MSK_CLASSI",
    "CIRRUS_CLOUDS": "Cirrus clouds (1) from the Level-1C cloud mask MSK_CLASSI",
    "SNOW_ICE": "Snow or ice (1) from the Level-1C cloud mask MSK_CLASSI",
}


def is_safe(path: Path) -> bool:
    return SAFE_NAME.match(path.name) is not None


def read_safe(path: Path) -> Product:
    level = SAFE_NAME.match(path.name)["level"].upper()
    metadata_file = path / f"MTD_MSI{level}.xml"
    if not metadata_file.is_file():
        raise ValueError(f"no {metadata_file.name}")
    xml = xml_values(metadata_file)
    start = _text(xml, "PRODUCT_START_TIME")
    baseline = _text(xml, "PROCESSING_BASELINE", "00.00")
    quantification = float(
        _text(xml, "BOA_QUANTIFICATION_VALUE" if level == "L2A" else "QUANTIFICATION_VALUE")
    )
    offset_name = "BOA_ADD_OFFSET" if level == "L2A" else "RADIO_ADD_OFFSET"
    offsets = {
        int(element.get("band_id", -1)): float(element.text or 0) for element in xml.get(offset_name, [])
    }
    nodata = _special_value(xml, "NODATA", 0.0)
    bands = []
    for band_id, band in enumerate(BAND_IDS):
        for file in _band_files(path, level, band):
            facts = sentinel2_band(band)
            bands.append(
                ProductBand(
                    band,
                    file,
                    nodata=nodata,
                    scale=1 / quantification,
                    offset=offsets.get(band_id, 0.0) / quantification,
                    common_name=facts.get("common_name"),
                    center_wavelength=facts.get("center_wavelength"),
                    description=("Surface" if level == "L2A" else "Top-of-atmosphere") + " reflectance",
                )
            )
    if not bands:
        raise ValueError("no band files in GRANULE/*/IMG_DATA")
    bands += _cloud_mask(path, level)
    properties: dict = {"platform": _text(xml, "SPACECRAFT_NAME", "Sentinel-2").lower()}
    properties["instruments"] = ["msi"]
    properties["grid:code"] = "MGRS-" + SAFE_NAME.match(path.name)["tile"].upper()
    properties["processing:level"] = level
    properties["s2:processing_baseline"] = baseline
    cloud = _text(xml, "Cloud_Coverage_Assessment", "")
    if cloud:
        properties["eo:cloud_cover"] = float(cloud)
    return Product(f"Sentinel-2 {level}", rfc3339(start), bands, properties)


def _text(xml: dict, name: str, default: str | None = None) -> str:
    elements = xml.get(name)
    if not elements or elements[0].text is None:
        if default is None:
            raise ValueError(f"the product metadata has no {name}")
        return default
    return elements[0].text.strip()


def _special_value(xml: dict, name: str, default: float) -> float:
    for element in xml.get("Special_Values", []):
        texts = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in element}
        if texts.get("SPECIAL_VALUE_TEXT") == name and texts.get("SPECIAL_VALUE_INDEX"):
            return float(texts["SPECIAL_VALUE_INDEX"])
    return default


def _band_files(path: Path, level: str, band: str) -> list[Path]:
    """The file of ``band`` in each granule (products before 2016 have several granules)."""
    files = []
    for granule in sorted((path / "GRANULE").glob("*/IMG_DATA")):
        if level == "L1C":
            files += sorted(granule.glob(f"*_{band}.jp2"))
            continue
        for resolution in (10, 20, 60):  # the finest a band has is its own
            found = sorted(granule.glob(f"R{resolution}m/*_{band}_{resolution}m.jp2"))
            if found:
                files += found
                break
    return files


def _cloud_mask(path: Path, level: str) -> list[ProductBand]:
    if level == "L2A":
        return [
            ProductBand("SCL", file, description=SCL_DESCRIPTION)
            for granule in sorted((path / "GRANULE").glob("*/IMG_DATA"))
            for file in sorted(granule.glob("R20m/*_SCL_20m.jp2"))
        ]
    return [
        ProductBand(name, file, index=index, nodata=None, description=description)
        for file in sorted((path / "GRANULE").glob("*/QI_DATA/MSK_CLASSI_B00.jp2"))
        for index, (name, description) in enumerate(CLASSI_LAYERS.items(), start=1)
    ]
