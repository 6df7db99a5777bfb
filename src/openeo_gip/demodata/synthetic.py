"""Synthetic but plausible rasters for the demo (``openeo-gip demo-data DIR``) and for tests.

Everything is a pure function of its arguments (sizes, dates, seed), so a test can recompute exactly what was
written with the ``array(...)``/``values(...)`` methods of the returned descriptions, independently of the
reader under test.

- ``write_sentinel2_demo``: a folder of COGs, one per date and band (B02, B03, B04, B08 as uint16 reflectance
  x 10000, nodata 0; SCL as uint8 scene classes), UTM 31N at 10 m: a river, a town, fields that green up
  and brown down at different times, meadows, forest, bare land, and clouds (with shadows) on some dates.
  What the scenes show is made in ``landscape``.
- ``write_netcdf_cube``: one netCDF file with a daily air temperature cube (packed int16, scale/offset).
- ``write_dem``: a single-band float32 GeoTIFF elevation model with nodata.
- ``write_bolzano_demo``: the same kind of Sentinel-2 folder laid out where and when the workflow tests of the
  official openeo-test-suite look (UTM 32N near Bolzano, June 2022).
- ``write_demo_data``: all of them into one data root, with sidecars, as ``make demo`` uses them, and (not
  in the small version) folders of Sentinel-2 and Landsat products (``products.write_products_demo``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from affine import Affine

from openeo_gip.demodata.cog import write_cog
from openeo_gip.demodata.landscape import (
    CLOUD_CLASSES,
    SCL,
    green_cover,
    landscape,
    scene_classification,
    seen_from_above,
    sky,
    smooth_noise,
    surface_reflectance,
)
from openeo_gip.demodata.products import write_products_demo

S2_CRS = "EPSG:32631"
S2_ORIGIN = (600000.0, 5700000.0)  # upper-left corner (x, y), Belgium/Netherlands border in UTM 31N
S2_BANDS = ["B02", "B03", "B04", "B08", "SCL"]


def default_dates(
    count: int = 12, start: dt.date = dt.date(2023, 1, 5), step_days: int = 30
) -> list[dt.date]:
    return [start + dt.timedelta(days=step_days * i) for i in range(count)]


@dataclass
class Sentinel2Demo:
    """What ``write_sentinel2_demo`` wrote; ``array(band, i)`` recomputes the stored pixels exactly."""

    folder: Path
    size: int
    dates: list[dt.date]
    seed: int
    blocksize: int
    bands: list[str] = field(default_factory=lambda: list(S2_BANDS))
    crs: str = S2_CRS
    resolution: float = 10.0
    origin: tuple[float, float] = S2_ORIGIN  # upper-left corner (x, y) in ``crs``
    orbit_edge: bool = True  # the first date misses its westmost eighth, as at the edge of an orbit
    clear_dates: tuple[int, ...] = ()  # numbers of the dates that get no clouds whatever the seed says

    @property
    def transform(self) -> Affine:
        return Affine(self.resolution, 0, self.origin[0], 0, -self.resolution, self.origin[1])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        west, north = self.origin
        extent = self.size * self.resolution
        return west, north - extent, west + extent, north

    def path(self, band: str, index: int) -> Path:
        return self.folder / f"S2_{self.dates[index]:%Y%m%d}_{band}.tif"

    def array(self, band: str, index: int) -> np.ndarray:
        """The stored integers of ``band`` at date number ``index`` (uint16, or uint8 for SCL)."""
        return self.scene(index)[band]

    def scene(self, index: int) -> dict[str, np.ndarray]:
        """All bands of date number ``index``, as stored."""
        cloudless = index in self.clear_dates
        return _s2_scene(self.size, self.dates[index], index, self.seed, self.orbit_edge, cloudless)

    def land_cover(self) -> np.ndarray:
        """The land cover class of each pixel (``landscape.LAND_COVER`` codes), the same on every date."""
        return landscape(self.size, self.seed).cover

    def cloud_cover(self, index: int) -> float:
        """Percentage of valid pixels classified as cloud at date number ``index``."""
        return _cloud_cover(self.array("SCL", index))


def _cloud_cover(scl: np.ndarray) -> float:
    valid = scl != SCL["nodata"]
    cloudy = np.isin(scl, CLOUD_CLASSES) & valid
    return round(100.0 * float(cloudy.sum()) / max(int(valid.sum()), 1), 2)


def write_sentinel2_demo(
    folder: str | Path,
    size: int = 1024,
    dates: int | list[dt.date] = 12,
    seed: int = 0,
    blocksize: int = 256,
    sidecar: bool = True,
) -> Sentinel2Demo:
    """Write ``S2_YYYYMMDD_BAND.tif`` COGs (with overviews) into ``folder`` and, with ``sidecar``, a
    ``collection.toml``. ``dates``: a count (every 30 days from 2023-01-05) or explicit dates."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    date_list = default_dates(dates) if isinstance(dates, int) else list(dates)
    demo = Sentinel2Demo(folder, size, date_list, seed, blocksize)
    _write_scenes(demo)
    if sidecar:
        (folder / "collection.toml").write_text(_S2_SIDECAR, encoding="utf-8")
    return demo


def _write_scenes(demo: Sentinel2Demo) -> None:
    for index in range(len(demo.dates)):
        scene = demo.scene(index)
        tags = {"CLOUD_COVER": str(_cloud_cover(scene["SCL"])), "PLATFORM": "sentinel-2-synthetic"}
        for band in demo.bands:
            write_cog(
                demo.path(band, index), scene[band], demo.transform, demo.crs, 0, band, demo.blocksize, tags
            )


# Where the workflow tests of the official openeo-test-suite load Sentinel-2 L2A: x 679720-680680,
# y 5151080-5151920 in UTM 32N (Bolzano, Italy), June 2022, exactly one scene from 06-01 to 06-03 and
# scenes in five ISO weeks of June. The grid is 1.2 km square around that box, on Sentinel-2's 10 m grid.
BOLZANO_ID = "SENTINEL2_L2A_BOLZANO_DEMO"
BOLZANO_CRS = "EPSG:32632"
BOLZANO_ORIGIN = (679600.0, 5152100.0)
BOLZANO_SIZE = 120


def bolzano_dates() -> list[dt.date]:
    """Every third day from 2022-06-01 to 2022-07-04, about the revisit of Sentinel-2A and 2B there."""
    return default_dates(12, dt.date(2022, 6, 1), 3)


def write_bolzano_demo(folder: str | Path, seed: int = 14) -> Sentinel2Demo:
    """The ``SENTINEL2_L2A_BOLZANO_DEMO`` folder: 120 x 120 pixels, 12 dates, a sidecar saying it is
    synthetic. The first date (2022-06-01) is cloudless and has no orbit edge, so a one-day load sees land."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    demo = Sentinel2Demo(
        folder,
        BOLZANO_SIZE,
        bolzano_dates(),
        seed,
        128,
        crs=BOLZANO_CRS,
        origin=BOLZANO_ORIGIN,
        orbit_edge=False,
        clear_dates=(0,),
    )
    _write_scenes(demo)
    (folder / "collection.toml").write_text(_BOLZANO_SIDECAR, encoding="utf-8")
    return demo


_S2_SIDECAR = """\
title = "Sentinel-2 L2A (synthetic demo)"
description = \"\"\"Synthetic Sentinel-2 Level-2A surface reflectance made by openeo-gip for demos and \
teaching: a river, a town, crop fields with their own growing seasons, meadows, forest and passing clouds, \
at 10 m in UTM zone 31N. B02, B03, B04, B08 are reflectance x 10000 (nodata 0); SCL is the scene \
classification (4 vegetation, 5 bare, 6 water, 3 cloud shadow, 8/9 clouds, 10 thin cirrus).\"\"\"
license = "CC0-1.0"
keywords = ["sentinel-2", "synthetic", "demo", "surface reflectance"]
providers = [{ name = "openeo-gip", roles = ["producer", "host"] }]

[bands.SCL]
description = "Scene classification"
"""

_BOLZANO_SIDECAR = """\
title = "Sentinel-2 L2A near Bolzano, June 2022 (synthetic)"
description = \"\"\"Synthetic data, not a real Sentinel-2 product: made by openeo-gip so that the workflow \
tests of the official openEO test suite (openeo-test-suite, `--s2-collection SENTINEL2_L2A_BOLZANO_DEMO`) \
find Sentinel-2 L2A where they look, 1.2 km square near Bolzano (Italy) in UTM zone 32N at 10 m, every third \
day from 2022-06-01 to 2022-07-04. The landscape and clouds are invented. B02, B03, B04, B08 are \
reflectance x 10000 (nodata 0); SCL is the scene classification (4 vegetation, 5 bare, 6 water, \
3 cloud shadow, 8/9 clouds, 10 thin cirrus).\"\"\"
license = "CC0-1.0"
keywords = ["sentinel-2", "synthetic", "demo", "surface reflectance", "openeo-test-suite"]
providers = [{ name = "openeo-gip", roles = ["producer", "host"] }]

[bands.SCL]
description = "Scene classification"
"""


def _s2_scene(
    size: int, date: dt.date, index: int, seed: int, orbit_edge: bool = True, cloudless: bool = False
) -> dict[str, np.ndarray]:
    land = landscape(size, seed)
    green = green_cover(land, date.timetuple().tm_yday)
    rng = np.random.default_rng([seed, index])
    ground = surface_reflectance(land, green) * (1 + rng.normal(0, 0.02, (4, size, size)))
    # Some dates clear, others partly cloudy.
    cloudiness = 0.0 if cloudless else rng.choice([0.0, 0.0, 0.2, 0.35, 0.5])
    clouds = sky(rng, size, cloudiness)
    reflectance = seen_from_above(ground, clouds)
    dn = np.clip(np.round(reflectance * 10000), 1, 10000).astype(np.uint16)
    scl = scene_classification(land, green, clouds)
    if orbit_edge and index == 0:  # an orbit edge: no data in the westmost eighth
        dn[:, :, : max(size // 8, 1)] = 0
        scl[:, : max(size // 8, 1)] = SCL["nodata"]
    scene = {band: dn[i] for i, band in enumerate(S2_BANDS[:4])}
    scene["SCL"] = scl
    return scene


@dataclass
class NetcdfCube:
    """What ``write_netcdf_cube`` wrote: ``values()`` are the unpacked temperatures, north up (NaN = fill)."""

    path: Path
    times: list[dt.date]
    lat: np.ndarray  # as stored in the file (ascending unless written north first)
    lon: np.ndarray
    packed: np.ndarray  # int16 as stored (time, lat, lon)
    variable: str = "temperature"
    scale: float = 0.01
    offset: float = 273.15
    fill: int = -32768

    def values(self) -> np.ndarray:
        """(time, y, x) with the northmost row first, as a reader returns them."""
        unpacked = np.where(self.packed == self.fill, np.nan, self.packed * self.scale + self.offset)
        return unpacked if self.lat[0] > self.lat[-1] else unpacked[:, ::-1, :]


def write_netcdf_cube(
    path: str | Path,
    size: int = 32,
    days: int = 10,
    start: dt.date = dt.date(2023, 1, 1),
    seed: int = 0,
    *,
    grid_mapping: bool = True,
    axes: tuple[str, str] = ("lat", "lon"),
    north_first: bool = False,
    compress: bool = False,
) -> NetcdfCube:
    """A daily air temperature cube (K) on a 0.01 degree lat/lon grid (EPSG:4326), latitudes ascending
    (descending with ``north_first``, as ERA5 stores them), packed as int16 with
    ``scale_factor``/``add_offset``/``_FillValue`` and a masked lake; deflate-compressed with ``compress``.
    Without ``grid_mapping`` the file names no CRS, as ERA5 or CHIRPS files; ``axes`` names latitude and
    longitude."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lat = 51.3 + 0.01 * (np.arange(size) + 0.5)
    lon = 4.4 + 0.01 * (np.arange(size) + 0.5)
    times = [start + dt.timedelta(days=i) for i in range(days)]
    doy = np.array([t.timetuple().tm_yday for t in times])[:, None, None]
    seasonal = 10 * np.sin(2 * np.pi * (doy - 110) / 365)
    gradient = -2.0 * (lat[None, :, None] - lat[0]) / 0.3 + 0.5 * (lon[None, None, :] - lon[0]) / 0.3
    kelvin = 283.0 + seasonal + gradient + rng.normal(0, 0.3, (days, size, size))
    packed = np.round((kelvin - 273.15) / 0.01).astype(np.int16)
    lake = (np.arange(size)[:, None] - size * 0.3) ** 2 + (np.arange(size)[None, :] - size * 0.6) ** 2
    packed[:, lake < (size * 0.1) ** 2] = -32768
    if north_first:
        lat, packed = lat[::-1], packed[:, ::-1]
    _write_packed_netcdf(path, times, lat, lon, packed, grid_mapping, axes, compress)
    return NetcdfCube(path, times, lat, lon, packed)


def _write_packed_netcdf(
    path: Path,
    times,
    lat,
    lon,
    packed: np.ndarray,
    grid_mapping: bool = True,
    axes=("lat", "lon"),
    compress=False,
) -> None:
    """CF netCDF with the int16 numbers written as they are (no re-packing by a library)."""
    import netCDF4
    from pyproj import CRS

    with netCDF4.Dataset(path, "w") as nc:
        nc.Conventions = "CF-1.8"
        nc.createDimension("time", len(times))
        lat_name, lon_name = axes
        nc.createDimension(lat_name, len(lat))
        nc.createDimension(lon_name, len(lon))
        time = nc.createVariable("time", "f8", ("time",))
        time.units = "days since 1970-01-01 00:00:00"
        time.calendar = "standard"
        time.standard_name = "time"
        time[:] = [(t - dt.date(1970, 1, 1)).days for t in times]
        for name, values, units, standard in (
            (lat_name, lat, "degrees_north", "latitude"),
            (lon_name, lon, "degrees_east", "longitude"),
        ):
            var = nc.createVariable(name, "f8", (name,))
            var.units, var.standard_name = units, standard
            var[:] = values
        temperature = nc.createVariable(
            "temperature", "i2", ("time", *axes), fill_value=-32768, zlib=compress
        )
        temperature.set_auto_maskandscale(False)
        temperature.setncatts(
            {"scale_factor": 0.01, "add_offset": 273.15, "units": "K", "long_name": "air temperature"}
        )
        if grid_mapping:
            crs = nc.createVariable("crs", "i4")
            crs.setncatts(CRS.from_epsg(4326).to_cf())
            temperature.grid_mapping = "crs"
        temperature[:] = packed


@dataclass
class Dem:
    """What ``write_dem`` wrote: ``elevation`` as stored (float32, ``nodata`` where undefined)."""

    path: Path
    elevation: np.ndarray
    transform: Affine
    crs: str = S2_CRS
    nodata: float = -9999.0


def write_dem(path: str | Path, size: int = 64, resolution: float = 30.0, seed: int = 0) -> Dem:
    """A float32 elevation GeoTIFF (m) in UTM 31N from the demo's corner: hills, a valley, nodata corner."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    hills = 40 * smooth_noise(rng, size, 3) + 15 * smooth_noise(rng, size, 8)
    valley = 25 * np.exp(-(((yy - 0.5 - 0.12 * np.sin(2 * np.pi * (xx * 1.5 + 0.1))) / 0.08) ** 2))
    elevation = (20 + hills - valley).astype(np.float32)
    corner = max(size // 10, 1)
    elevation[:corner, :corner] = -9999.0
    transform = Affine(resolution, 0, S2_ORIGIN[0], 0, -resolution, S2_ORIGIN[1])
    write_cog(path, elevation, transform, S2_CRS, -9999.0, "elevation", 256 if size >= 512 else 128)
    return Dem(path, elevation, transform)


def write_demo_data(root: str | Path, *, small: bool = False) -> dict[str, object]:
    """The demo data root: ``SENTINEL2_L2A_DEMO/``, ``SENTINEL2_L2A_BOLZANO_DEMO/``, ``TEMPERATURE_DEMO.nc``,
    ``DEM_DEMO.tif`` (+ sidecars), ``SENTINEL2_L2A_SAFE_DEMO/``, ``LANDSAT_C2_L2_DEMO/``.

    ``small`` writes tiny versions (64 x 64, 3 dates) for tests, without the Bolzano collection."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if small:
        s2 = write_sentinel2_demo(root / "SENTINEL2_L2A_DEMO", size=64, dates=3, blocksize=128)
        temperature = write_netcdf_cube(root / "TEMPERATURE_DEMO.nc", size=16, days=5)
        dem = write_dem(root / "DEM_DEMO.tif", size=32)
    else:
        s2 = write_sentinel2_demo(root / "SENTINEL2_L2A_DEMO")
        temperature = write_netcdf_cube(root / "TEMPERATURE_DEMO.nc", size=128, days=365)
        dem = write_dem(root / "DEM_DEMO.tif", size=1024 * 10 // 30)
    written: dict[str, object] = {"SENTINEL2_L2A_DEMO": s2}
    if not small:
        written[BOLZANO_ID] = write_bolzano_demo(root / BOLZANO_ID)
        written.update(write_products_demo(root))
    (root / "TEMPERATURE_DEMO.toml").write_text(
        'title = "Daily air temperature (synthetic demo)"\nlicense = "CC0-1.0"\n'
        'description = "Synthetic daily 2 m air temperature in kelvin on a 0.01 degree grid."\n',
        encoding="utf-8",
    )
    (root / "DEM_DEMO.toml").write_text(
        'title = "Elevation model (synthetic demo)"\nlicense = "CC0-1.0"\n'
        'description = "Synthetic terrain heights in metres at 30 m, covering the Sentinel-2 demo area."\n',
        encoding="utf-8",
    )
    return {**written, "TEMPERATURE_DEMO": temperature, "DEM_DEMO": dem}
