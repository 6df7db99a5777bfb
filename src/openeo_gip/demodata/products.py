"""Tiny satellite products laid out like the real ones, for the demo and the tests of product collections.

- ``write_sentinel2_product``: a Sentinel-2 ``.SAFE`` folder (Level-2A or Level-1C) with the real folder
  layout and file names, ``MTD_MSIL2A.xml``/``MTD_MSIL1C.xml`` holding the fields the catalogue reads, and
  JPEG 2000 band files (lossless) at 10, 20 and 60 m; L2A has the scene classification ``SCL``, L1C the
  cloud mask ``QI_DATA/MSK_CLASSI_B00.jp2`` of processing baseline 04.00.
- ``write_landsat_product``: a Landsat 8/9 Collection 2 folder (Level-2 ``L2SP`` or Level-1 ``L1TP``) with
  ``_MTL.xml`` and ``_MTL.txt`` and one COG per band, ``QA_PIXEL`` included.

Each returns a ``WrittenProduct`` holding the digital numbers written per band and the scale and offset the
product's metadata states, so a test computes the expected values with numpy, independently of the reader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from openeo_gip.demodata.cog import write_cog
from openeo_gip.demodata.landscape import smooth_noise

S2_TILE = "32TPS"
S2_CRS = "EPSG:32632"
S2_ORIGIN = (680000.0, 5160000.0)  # near Bolzano, inside tile 32TPS
# Band -> native resolution (m); the order is the band_id order of the metadata (0 = B01 ... 12 = B12).
S2_RESOLUTIONS = {
    "B01": 60,
    "B02": 10,
    "B03": 10,
    "B04": 10,
    "B05": 20,
    "B06": 20,
    "B07": 20,
    "B08": 10,
    "B8A": 20,
    "B09": 60,
    "B10": 60,
    "B11": 20,
    "B12": 20,
}
# Surface reflectance of vegetation (first) and bare soil (second) per band, to mix by a green fraction.
_S2_REFLECTANCE = {
    "B01": (0.03, 0.08),
    "B02": (0.03, 0.09),
    "B03": (0.06, 0.11),
    "B04": (0.03, 0.14),
    "B05": (0.10, 0.16),
    "B06": (0.28, 0.18),
    "B07": (0.35, 0.19),
    "B08": (0.40, 0.20),
    "B8A": (0.42, 0.21),
    "B09": (0.12, 0.07),
    "B10": (0.005, 0.005),
    "B11": (0.18, 0.30),
    "B12": (0.08, 0.25),
}
LANDSAT_CRS = "EPSG:32632"
LANDSAT_ORIGIN = (679995.0, 5160015.0)


@dataclass
class WrittenProduct:
    """One product written: its folder, time, and per band the digital numbers with their scale/offset."""

    folder: Path
    datetime: dt.datetime
    crs: str
    dn: dict[str, np.ndarray] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    offset: dict[str, float] = field(default_factory=dict)
    transforms: dict[str, Affine] = field(default_factory=dict)
    cloud_cover: float = 0.0

    def values(self, band: str) -> np.ndarray:
        """The physical values of ``band`` (float64), NaN where the product has no data (DN 0)."""
        dn = self.dn[band].astype("float64")
        values = dn * self.scale.get(band, 1.0) + self.offset.get(band, 0.0)
        return np.where(self.dn[band] == 0, np.nan, values)


def _green(size: int, seed: int) -> np.ndarray:
    """A green fraction in [0, 1] varying over a few hundred metres, the same field at any resolution."""
    return smooth_noise(np.random.default_rng(seed), size, 4)


def _nodata_corner(dn: np.ndarray, fraction: float = 0.2) -> np.ndarray:
    """Zero (no data) in the lower-left corner triangle, as at the edge of a swath."""
    rows, cols = np.indices(dn.shape)
    edge = dn.shape[0] * fraction
    dn[(dn.shape[0] - 1 - rows) + cols < edge] = 0
    return dn


def _cloud(size: int, seed: int) -> np.ndarray:
    """A cloud patch (True) in the upper-right quarter."""
    rows, cols = np.indices((size, size))
    patch = smooth_noise(np.random.default_rng(seed + 1), size, 3) > 0.5
    return patch & (rows < size // 2) & (cols >= size // 2)


def _resample(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour ``mask`` on a ``size`` x ``size`` grid of the same extent."""
    index = (np.arange(size) * mask.shape[0] // size).clip(0, mask.shape[0] - 1)
    return mask[np.ix_(index, index)]


# ---------------------------------------------------------------------------------------------- Sentinel-2


def write_sentinel2_product(
    parent: str | Path,
    level: str = "L2A",
    when: dt.datetime = dt.datetime(2022, 6, 1, 10, 16, 11),
    size: int = 60,
    seed: int = 0,
    baseline: str = "04.00",
    spacecraft: str = "S2A",
    tile: str = S2_TILE,
    origin: tuple[float, float] = S2_ORIGIN,
) -> WrittenProduct:
    """A ``.SAFE`` folder under ``parent``: ``size`` x ``size`` pixels at 10 m (``size`` a multiple of 6, so
    the 20 and 60 m bands cover the same extent)."""
    if level not in ("L2A", "L1C") or size % 6:
        raise ValueError("level is L2A or L1C, size a multiple of 6")
    stamp = when.strftime("%Y%m%dT%H%M%S")
    baseline_code = "N" + baseline.replace(".", "")
    name = f"{spacecraft}_MSI{level}_{stamp}_{baseline_code}_R065_T{tile}_{stamp[:8]}T150000.SAFE"
    folder = Path(parent) / name
    granule = folder / "GRANULE" / f"{level}_T{tile}_A036181_{stamp}"
    new_baseline = baseline >= "04.00"
    add_offset = -1000 if new_baseline else 0
    product = WrittenProduct(folder, when, S2_CRS)
    green_10m = _green(size, seed)
    cloud_10m = _cloud(size, seed)
    bands = [b for b in S2_RESOLUTIONS if level == "L1C" or b != "B10"]
    for band in bands:
        resolution = S2_RESOLUTIONS[band]
        pixels = size * 10 // resolution
        green = _resample(green_10m, pixels)
        veg, soil = _S2_REFLECTANCE[band]
        reflectance = green * veg + (1 - green) * soil
        reflectance = np.where(_resample(cloud_10m, pixels), 0.6, reflectance)
        dn = np.round(reflectance * 10000 - add_offset).astype("uint16")
        product.dn[band] = _nodata_corner(dn)
        product.scale[band] = 1 / 10000
        product.offset[band] = add_offset / 10000
        product.transforms[band] = Affine(resolution, 0, origin[0], 0, -resolution, origin[1])
        if level == "L2A":
            path = granule / "IMG_DATA" / f"R{resolution}m" / f"T{tile}_{stamp}_{band}_{resolution}m.jp2"
        else:
            path = granule / "IMG_DATA" / f"T{tile}_{stamp}_{band}.jp2"
        _write_jp2(path, product.dn[band], product.transforms[band], S2_CRS)
        # The detector footprint (baseline 04.00: a raster, 0 outside the swath), as real products have.
        footprint = (product.dn[band] > 0).astype("uint8")
        _write_jp2(
            granule / "QI_DATA" / f"MSK_DETFOO_{band}.jp2", footprint, product.transforms[band], S2_CRS
        )
    cloud_20m = _resample(cloud_10m, size // 2)
    product.cloud_cover = round(float(cloud_10m.mean() * 100), 4)
    if level == "L2A":
        scl = np.where(cloud_20m, 9, np.where(_resample(green_10m, size // 2) > 0.4, 4, 5)).astype("uint8")
        product.dn["SCL"] = _nodata_corner(scl)
        product.transforms["SCL"] = Affine(20, 0, origin[0], 0, -20, origin[1])
        _write_jp2(
            granule / "IMG_DATA" / "R20m" / f"T{tile}_{stamp}_SCL_20m.jp2",
            product.dn["SCL"],
            product.transforms["SCL"],
            S2_CRS,
        )
    elif new_baseline:
        cloud_60m = _resample(cloud_10m, size // 6)
        classi = np.stack([cloud_60m, np.zeros_like(cloud_60m), np.zeros_like(cloud_60m)]).astype("uint8")
        product.dn["OPAQUE_CLOUDS"] = classi[0]
        product.dn["CIRRUS_CLOUDS"] = classi[1]
        transform = Affine(60, 0, origin[0], 0, -60, origin[1])
        product.transforms["OPAQUE_CLOUDS"] = product.transforms["CIRRUS_CLOUDS"] = transform
        _write_jp2(granule / "QI_DATA" / "MSK_CLASSI_B00.jp2", classi, transform, S2_CRS)
    (granule / "QI_DATA").mkdir(parents=True, exist_ok=True)
    _write_tile_metadata(granule, level, when, size, product.cloud_cover, tile, origin)
    (folder / f"MTD_MSI{level}.xml").write_text(
        _s2_product_metadata(level, name, when, baseline, spacecraft, add_offset, product.cloud_cover, bands),
        encoding="utf-8",
    )
    (folder / "manifest.safe").write_text(_MANIFEST, encoding="utf-8")
    return product


def _write_jp2(path: Path, dn: np.ndarray, transform: Affine, crs: str) -> None:
    """A lossless JPEG 2000 file (one band, or a band per first axis of a 3-D array), no nodata stated:
    as in real products, what 0 means is in the product metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stack = dn if dn.ndim == 3 else dn[np.newaxis]
    profile = {
        "driver": "JP2OpenJPEG",
        "width": stack.shape[2],
        "height": stack.shape[1],
        "count": stack.shape[0],
        "dtype": stack.dtype.name,
        "crs": crs,
        "transform": transform,
        "QUALITY": 100,
        "REVERSIBLE": "YES",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(stack)


def _s2_product_metadata(
    level: str,
    name: str,
    when: dt.datetime,
    baseline: str,
    spacecraft: str,
    add_offset: int,
    cloud_cover: float,
    bands: list[str],
) -> str:
    start = when.strftime("%Y-%m-%dT%H:%M:%S.024Z")
    band_ids = list(S2_RESOLUTIONS)
    if level == "L2A":
        root, quantification = (
            "Level-2A_User_Product",
            (
                "<QUANTIFICATION_VALUES_LIST>"
                '<BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>'
                '<AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>'
                '<WVP_QUANTIFICATION_VALUE unit="cm">1000.0</WVP_QUANTIFICATION_VALUE>'
                "</QUANTIFICATION_VALUES_LIST>"
            ),
        )
        offsets = "".join(
            f'<BOA_ADD_OFFSET band_id="{i}">{add_offset}</BOA_ADD_OFFSET>' for i in range(len(band_ids))
        )
        offset_list = f"<BOA_ADD_OFFSET_VALUES_LIST>{offsets}</BOA_ADD_OFFSET_VALUES_LIST>"
        product_type = "S2MSI2A"
    else:
        root = "Level-1C_User_Product"
        quantification = '<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>'
        offsets = "".join(
            f'<RADIO_ADD_OFFSET band_id="{i}">{add_offset}</RADIO_ADD_OFFSET>' for i in range(len(band_ids))
        )
        offset_list = f"<Radiometric_Offset_List>{offsets}</Radiometric_Offset_List>"
        product_type = "S2MSI1C"
    if baseline < "04.00":
        offset_list = ""
    band_list = "".join(f"<BAND_NAME>{band}</BAND_NAME>" for band in bands)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:{root} xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_{root.split("_")[0]}.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{start}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{start}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>{name}</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-{level[1:]}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>{product_type}</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <GENERATION_TIME>{when.strftime("%Y-%m-%dT15:00:00.000000Z")}</GENERATION_TIME>
      <Datatake datatakeIdentifier="G{spacecraft}_{when.strftime("%Y%m%dT%H%M%S")}_036181_N{baseline}">
        <SPACECRAFT_NAME>Sentinel-2{spacecraft[-1]}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <DATATAKE_SENSING_START>{start}</DATATAKE_SENSING_START>
        <SENSING_ORBIT_NUMBER>65</SENSING_ORBIT_NUMBER>
        <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
      </Datatake>
      <Query_Options completeSingleTile="true"><Band_List>{band_list}</Band_List></Query_Options>
    </Product_Info>
    <Product_Image_Characteristics>
      <Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>\
<SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
      <Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>\
<SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
      {quantification}
      {offset_list}
    </Product_Image_Characteristics>
  </n1:General_Info>
  <n1:Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>{cloud_cover}</Cloud_Coverage_Assessment>
  </n1:Quality_Indicators_Info>
</n1:{root}>
"""


def _write_tile_metadata(
    granule: Path,
    level: str,
    when: dt.datetime,
    size: int,
    cloud_cover: float,
    tile: str,
    origin: tuple[float, float],
) -> None:
    """``MTD_TL.xml``: the tile's grid (the catalogue reads the grid from the band files themselves)."""
    sizes = "".join(
        f'<Size resolution="{r}"><NROWS>{size * 10 // r}</NROWS><NCOLS>{size * 10 // r}</NCOLS></Size>'
        for r in (10, 20, 60)
    )
    positions = "".join(
        f'<Geoposition resolution="{r}"><ULX>{origin[0]:.0f}</ULX><ULY>{origin[1]:.0f}</ULY>'
        f"<XDIM>{r}</XDIM><YDIM>-{r}</YDIM></Geoposition>"
        for r in (10, 20, 60)
    )
    granule.mkdir(parents=True, exist_ok=True)
    (granule / "MTD_TL.xml").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-{level[1:]}_Tile_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-{level[1:]}_Tile_Metadata.xsd">
  <n1:General_Info><TILE_ID>{level}_T{tile}_A036181_{when.strftime("%Y%m%dT%H%M%S")}</TILE_ID>\
<SENSING_TIME>{when.strftime("%Y-%m-%dT%H:%M:%S.024Z")}</SENSING_TIME></n1:General_Info>
  <n1:Quality_Indicators_Info><Image_Content_QI>\
<CLOUDY_PIXEL_PERCENTAGE>{cloud_cover}</CLOUDY_PIXEL_PERCENTAGE></Image_Content_QI></n1:Quality_Indicators_Info>
  <n1:Geometric_Info><Tile_Geocoding><HORIZONTAL_CS_NAME>WGS84 / UTM zone 32N</HORIZONTAL_CS_NAME>\
<HORIZONTAL_CS_CODE>{S2_CRS}</HORIZONTAL_CS_CODE>{sizes}{positions}</Tile_Geocoding></n1:Geometric_Info>
</n1:Level-{level[1:]}_Tile_ID>
""",
        encoding="utf-8",
    )


_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1"
  version="esa/safe/sentinel/1.1/sentinel-2/msi/archive_l2a_user_product">
  <informationPackageMap><xfdu:contentUnit unitType="Product_Level-2A"/></informationPackageMap>
</xfdu:XFDU>
"""


# ------------------------------------------------------------------------------------------------- Landsat

# Band word of the file name -> (green-vegetation, bare-soil) reflectance of the reflective bands: those of
# the Sentinel-2 band seeing about the same light, but for the panchromatic B8 and the cirrus B9.
_LANDSAT_REFLECTANCE = {
    "B1": _S2_REFLECTANCE["B01"],
    "B2": _S2_REFLECTANCE["B02"],
    "B3": _S2_REFLECTANCE["B03"],
    "B4": _S2_REFLECTANCE["B04"],
    "B5": _S2_REFLECTANCE["B08"],
    "B6": _S2_REFLECTANCE["B11"],
    "B7": _S2_REFLECTANCE["B12"],
    "B8": (0.05, 0.12),
    "B9": (0.002, 0.002),
}
QA_CLEAR, QA_CLOUD, QA_FILL = 21824, 22280, 1


def write_landsat_product(
    parent: str | Path,
    level: str = "L2",
    when: dt.datetime = dt.datetime(2022, 6, 3, 10, 5, 12),
    size: int = 64,
    seed: int = 0,
    mission: int = 8,
    path_row: str = "192028",
) -> WrittenProduct:
    """A Landsat 8/9 Collection 2 product folder under ``parent``: ``size`` x ``size`` pixels at 30 m
    (the panchromatic B8 of Level-1 at 15 m), Level-2 ``L2SP`` (``SR_B1``-``SR_B7``, ``ST_B10``) or Level-1
    ``L1TP`` (``B1``-``B11``), each with ``QA_PIXEL``."""
    if level not in ("L2", "L1"):
        raise ValueError("level is L2 or L1")
    code = "L2SP" if level == "L2" else "L1TP"
    name = f"LC{mission:02d}_{code}_{path_row}_{when:%Y%m%d}_{when:%Y%m%d}_02_T1"
    folder = Path(parent) / name
    folder.mkdir(parents=True, exist_ok=True)
    product = WrittenProduct(folder, when, LANDSAT_CRS)
    green = _green(size, seed + 10)
    cloud = _cloud(size, seed + 10)
    sun_elevation = 62.5
    if level == "L2":
        bands = {f"SR_B{i}": f"B{i}" for i in range(1, 8)}
        mult, add = 2.75e-05, -0.2
    else:
        bands = {f"B{i}": f"B{i}" for i in range(1, 10)}
        mult, add = 2.0e-05, -0.1
    sine = np.sin(np.radians(sun_elevation))
    for band, base in bands.items():
        pixels = size * 2 if band == "B8" else size
        veg, soil = _LANDSAT_REFLECTANCE[base]
        reflectance = _resample(green, pixels) * veg + (1 - _resample(green, pixels)) * soil
        reflectance = np.where(_resample(cloud, pixels), 0.6, reflectance)
        # L2: reflectance = DN * mult + add; L1: reflectance = (DN * mult + add) / sin(sun elevation).
        scaled = reflectance * (sine if level == "L1" else 1)
        dn = np.round((scaled - add) / mult).astype("uint16")
        resolution = 15 if band == "B8" else 30
        product.dn[band] = _nodata_corner(dn)
        product.scale[band] = mult / (sine if level == "L1" else 1)
        product.offset[band] = add / (sine if level == "L1" else 1)
        product.transforms[band] = Affine(resolution, 0, LANDSAT_ORIGIN[0], 0, -resolution, LANDSAT_ORIGIN[1])
    thermal = ["ST_B10"] if level == "L2" else ["B10", "B11"]
    for band in thermal:
        kelvin = 295 + 10 * (1 - green) - 20 * cloud
        if level == "L2":
            product.scale[band], product.offset[band] = 0.00341802, 149.0
        else:
            product.scale[band], product.offset[band] = 3.342e-04, 0.1  # radiance, W/(m2 sr um)
            kelvin = kelvin / 30  # a plausible radiance range
        dn = np.round((kelvin - product.offset[band]) / product.scale[band]).astype("uint16")
        product.dn[band] = _nodata_corner(dn)
        product.transforms[band] = Affine(30, 0, LANDSAT_ORIGIN[0], 0, -30, LANDSAT_ORIGIN[1])
    qa = np.where(cloud, QA_CLOUD, QA_CLEAR).astype("uint16")
    qa[_nodata_corner(np.ones_like(qa)) == 0] = QA_FILL
    product.dn["QA_PIXEL"] = qa
    product.transforms["QA_PIXEL"] = Affine(30, 0, LANDSAT_ORIGIN[0], 0, -30, LANDSAT_ORIGIN[1])
    product.cloud_cover = round(float(cloud.mean() * 100), 2)
    for band, dn in product.dn.items():
        # No stated nodata value, as in the Collection 2 band files.
        write_cog(folder / f"{name}_{band}.TIF", dn, product.transforms[band], LANDSAT_CRS, None, band)
    facts = _LandsatFacts(name, code, mission, path_row, when, product, sun_elevation, mult, add, level)
    (folder / f"{name}_MTL.xml").write_text(_mtl_xml(facts), encoding="utf-8")
    (folder / f"{name}_MTL.txt").write_text(_mtl_txt(facts), encoding="utf-8")
    return product


@dataclass
class _LandsatFacts:
    name: str
    code: str
    mission: int
    path_row: str
    when: dt.datetime
    product: WrittenProduct
    sun_elevation: float
    mult: float
    add: float
    level: str


def _mtl_groups(facts: _LandsatFacts) -> dict[str, dict[str, str]]:
    """The MTL file's groups and values (the parts the catalogue reads, and a few more)."""
    when = facts.when
    groups: dict[str, dict[str, str]] = {
        "PRODUCT_CONTENTS": {
            "LANDSAT_PRODUCT_ID": facts.name,
            "PROCESSING_LEVEL": facts.code,
            "COLLECTION_NUMBER": "02",
            "COLLECTION_CATEGORY": "T1",
            **{_file_key(band): f"{facts.name}_{band}.TIF" for band in facts.product.dn},
        },
        "IMAGE_ATTRIBUTES": {
            "SPACECRAFT_ID": f"LANDSAT_{facts.mission}",
            "SENSOR_ID": "OLI_TIRS",
            "WRS_PATH": str(int(facts.path_row[:3])),
            "WRS_ROW": str(int(facts.path_row[3:])),
            "DATE_ACQUIRED": f"{when:%Y-%m-%d}",
            "SCENE_CENTER_TIME": f"{when:%H:%M:%S}.1234560Z",
            "CLOUD_COVER": f"{facts.product.cloud_cover:.2f}",
            "SUN_ELEVATION": f"{facts.sun_elevation}",
        },
        "PROJECTION_ATTRIBUTES": {
            "MAP_PROJECTION": "UTM",
            "UTM_ZONE": "32",
            "GRID_CELL_SIZE_REFLECTIVE": "30.00",
        },
    }
    reflective = [b for b in facts.product.dn if b.replace("SR_", "") in _LANDSAT_REFLECTANCE]
    if facts.level == "L2":
        groups["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"] = {
            **{f"REFLECTANCE_MULT_BAND_{b[4:]}": f"{facts.mult:.4E}" for b in reflective},
            **{f"REFLECTANCE_ADD_BAND_{b[4:]}": f"{facts.add:.6f}" for b in reflective},
        }
        groups["LEVEL2_SURFACE_TEMPERATURE_PARAMETERS"] = {
            "TEMPERATURE_MULT_BAND_ST_B10": "0.00341802",
            "TEMPERATURE_ADD_BAND_ST_B10": "149.000000",
        }
    # Both levels carry the Level-1 rescaling; in a Level-2 file it must not be mistaken for the SR one.
    groups["LEVEL1_RADIOMETRIC_RESCALING"] = {
        **{f"RADIANCE_MULT_BAND_{i}": "3.3420E-04" for i in (10, 11)},
        **{f"RADIANCE_ADD_BAND_{i}": "0.10000" for i in (10, 11)},
        **{f"REFLECTANCE_MULT_BAND_{i}": "2.0000E-05" for i in range(1, 10)},
        **{f"REFLECTANCE_ADD_BAND_{i}": "-0.100000" for i in range(1, 10)},
    }
    return groups


def _file_key(band: str) -> str:
    """The MTL key naming a band's file: FILE_NAME_BAND_4 (L1 B4, L2 SR_B4), FILE_NAME_BAND_ST_B10, ..."""
    if band == "QA_PIXEL":
        return "FILE_NAME_QUALITY_L1_PIXEL"
    return "FILE_NAME_BAND_" + (band[4:] if band.startswith("SR_B") else band.removeprefix("B"))


def _mtl_xml(facts: _LandsatFacts) -> str:
    body = "".join(
        f"  <{group}>\n" + "".join(f"    <{k}>{v}</{k}>\n" for k, v in values.items()) + f"  </{group}>\n"
        for group, values in _mtl_groups(facts).items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<LANDSAT_METADATA_FILE>\n{body}</LANDSAT_METADATA_FILE>\n'
    )


def _mtl_txt(facts: _LandsatFacts) -> str:
    lines = ["GROUP = LANDSAT_METADATA_FILE"]
    for group, values in _mtl_groups(facts).items():
        lines.append(f"  GROUP = {group}")
        for key, value in values.items():
            numeric = value.replace(".", "", 1).replace("-", "", 1).replace("E", "", 1).isdigit()
            lines.append(f"    {key} = {value if numeric else chr(34) + value + chr(34)}")
        lines.append(f"  END_GROUP = {group}")
    lines += ["END_GROUP = LANDSAT_METADATA_FILE", "END"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------- demo

S2_PRODUCTS_ID = "SENTINEL2_L2A_SAFE_DEMO"
LANDSAT_PRODUCTS_ID = "LANDSAT_C2_L2_DEMO"
_PRODUCTS_SIDECAR = """\
title = "{title} (synthetic products)"
description = \"\"\"Synthetic data, not real products: {what} written by openeo-gip with the folder layout, \
file names and metadata of the real ones, to show how a folder of products becomes a collection. The \
landscape is invented.\"\"\"
license = "CC0-1.0"
keywords = ["synthetic", "demo", "{keyword}"]
"""


def write_products_demo(root: str | Path) -> dict[str, list[WrittenProduct]]:
    """Two demo collections of products under ``root``: three Sentinel-2 L2A ``.SAFE`` products (120 x 120
    pixels at 10 m) and two Landsat 8/9 Collection 2 Level-2 products (64 x 64 at 30 m), with sidecars."""
    root = Path(root)
    s2_dates = [
        (dt.datetime(2022, 6, 1, 10, 16, 11), "S2A"),
        (dt.datetime(2022, 6, 6, 10, 15, 59), "S2B"),
        (dt.datetime(2022, 6, 11, 10, 16, 21), "S2A"),
    ]
    s2 = [
        write_sentinel2_product(root / S2_PRODUCTS_ID, when=when, size=120, seed=i, spacecraft=spacecraft)
        for i, (when, spacecraft) in enumerate(s2_dates)
    ]
    landsat_dates = [dt.datetime(2022, 6, 3, 10, 5, 12), dt.datetime(2022, 6, 11, 10, 5, 20)]
    landsat = [
        write_landsat_product(root / LANDSAT_PRODUCTS_ID, when=when, seed=i, mission=(8, 9)[i])
        for i, when in enumerate(landsat_dates)
    ]
    sidecars = {
        S2_PRODUCTS_ID: ("Sentinel-2 L2A near Bolzano", "Sentinel-2 L2A .SAFE products", "sentinel-2"),
        LANDSAT_PRODUCTS_ID: ("Landsat 8/9 Collection 2 Level-2", "Landsat Collection 2 products", "landsat"),
    }
    for name, (title, what, keyword) in sidecars.items():
        text = _PRODUCTS_SIDECAR.format(title=title, what=what, keyword=keyword)
        (root / name / "collection.toml").write_text(text, encoding="utf-8")
    return {S2_PRODUCTS_ID: s2, LANDSAT_PRODUCTS_ID: landsat}
