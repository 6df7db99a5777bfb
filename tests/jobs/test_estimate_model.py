"""The duration model of ``GET /jobs/{id}/estimate``: a line through past jobs' (bytes, seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from openeo_gip.jobs.estimate import fit


def test_proportional_history_gives_twice_the_time_for_twice_the_bytes():
    history = [(size, size / 2e6) for size in (1e6, 3e6, 4e6, 8e6)]  # 2 MB/s, nothing fixed
    model = fit(history)
    assert model.fixed == pytest.approx(0, abs=1e-9)
    assert model.seconds(20e6) == pytest.approx(2 * model.seconds(10e6)) == pytest.approx(10.0)


def test_the_line_recovers_a_fixed_cost_from_noisy_jobs():
    rng = np.random.default_rng(3)
    sizes = rng.uniform(1e6, 50e6, 40)
    seconds = 1.5 + sizes / 10e6 + rng.normal(0, 0.05, sizes.size)
    model = fit(list(zip(sizes, seconds, strict=True)))
    assert model.fixed == pytest.approx(1.5, abs=0.1)
    assert model.per_byte == pytest.approx(1e-7, rel=0.02)
    # A job twice as big takes twice the variable part, not twice the fixed one.
    assert model.seconds(40e6) - model.seconds(20e6) == pytest.approx(2.0, rel=0.03)


def test_little_or_odd_history_falls_back_to_the_ratio():
    assert fit([]) is None
    assert fit([(0, 3.0)]) is None  # no bytes: nothing to learn from
    one = fit([(4e6, 2.0)])
    assert (one.fixed, one.seconds(8e6)) == (0.0, 4.0)
    same_size = fit([(4e6, 1.0), (4e6, 3.0), (4e6, 2.0)])
    assert same_size.seconds(4e6) == pytest.approx(2.0)
    # Bigger jobs that took less time would give a falling line: the ratio is used instead.
    falling = fit([(1e6, 5.0), (2e6, 4.0), (3e6, 3.0)])
    assert falling.fixed == 0 and falling.seconds(6e6) == pytest.approx(12.0)
