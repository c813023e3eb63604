"""GCJ-02 / BD-09 ↔ WGS84 against published pairs and round trips."""

from __future__ import annotations

import numpy as np
import pytest

from ruralnet.prepare.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    normalise_crs,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (wgs lon, wgs lat, gcj lon, gcj lat): the test pairs of the eviltransform project
# (Shanghai, Shenzhen, Beijing), used by its ports in many languages.
GCJ_PAIRS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), GCJ_PAIRS)
def test_gcj02_to_wgs84_inverts_to_a_millimetre(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert float(haversine_m(lon, lat, wlon, wlat)) < 0.001


def test_gcj02_to_wgs84_matches_gcoord_reference():
    # gcoord's unit test: GCJ02 -> WGS84 of (123, 45), to 5 decimals
    lon, lat = gcj02_to_wgs84(123.0, 45.0)
    assert lon == pytest.approx(122.99395597, abs=1e-5)
    assert lat == pytest.approx(44.99804071, abs=1e-5)


def test_bd09_reference_pairs():
    # gcoord: GCJ02 -> BD09 of (123, 45)
    lon, lat = gcj02_to_bd09(123.0, 45.0)
    assert lon == pytest.approx(123.00636499, abs=1e-6)
    assert lat == pytest.approx(45.00636899, abs=1e-6)
    # the classic Beijing pair published with the BD-09 formula (5 decimals)
    lon, lat = bd09_to_gcj02(116.43351, 39.90851)
    assert lon == pytest.approx(116.42703, abs=2e-5)
    assert lat == pytest.approx(39.90245, abs=2e-5)


def test_round_trips_are_identities_across_china():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74.0, 134.0, 500)
    lat = rng.uniform(18.0, 53.0, 500)
    for forward, backward in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
        x, y = backward(*forward(lon, lat))
        assert np.max(haversine_m(x, y, lon, lat)) < 0.01
    x, y = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    assert np.max(haversine_m(x, y, lon, lat)) < 0.01


def test_shift_size_in_shandong_is_the_gcj_signature():
    # Dongchangfu: the GCJ-02 shift is a few hundred metres, BD-09 adds about 1 km
    lon, lat = 115.93, 36.44
    g = wgs84_to_gcj02(lon, lat)
    b = wgs84_to_bd09(lon, lat)
    assert 300 < float(haversine_m(lon, lat, *g)) < 700
    assert float(haversine_m(lon, lat, *b)) > 900


def test_outside_china_is_unchanged():
    assert bool(out_of_china(9.52, 47.14))
    assert wgs84_to_gcj02(9.52, 47.14) == (9.52, 47.14)
    assert gcj02_to_wgs84(9.52, 47.14) == (9.52, 47.14)
    assert bd09_to_wgs84(9.52, 47.14) != (9.52, 47.14)  # Baidu's offset applies everywhere


def test_to_wgs84_dispatch_and_crs_names():
    assert normalise_crs("GCJ-02") == "gcj02"
    assert normalise_crs("BD09") == "bd09"
    assert normalise_crs("WGS84") == "wgs84"
    with pytest.raises(ValueError, match="unknown point CRS"):
        normalise_crs("utm")
    wlon, wlat, glon, glat = GCJ_PAIRS[0]
    assert to_wgs84(glon, glat, "gcj02") == pytest.approx((wlon, wlat), abs=1e-8)
    assert from_wgs84(wlon, wlat, "gcj02") == pytest.approx((glon, glat), abs=1e-9)
    assert to_wgs84(wlon, wlat, "wgs84") == (wlon, wlat)
    x, y = to_wgs84(np.array([glon, glon]), np.array([glat, glat]), "gcj02")
    assert x.shape == y.shape == (2,)
