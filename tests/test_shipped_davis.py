"""The shipped natural-video models: found by name, documented, within the size limits, and ordered by memory length
on unseen DAVIS clips (that part needs ../shared/data/davis2016-val and skips without it)."""

import re
from pathlib import Path

import numpy as np
import pytest

import nextframe
from nextframe.models import SHIPPED, model_card, shipped_path
from nextframe.models.files import read_metadata

DAVIS_NAMES = ("davis-tau0", "davis-tau1", "davis-tau2", "davis-tau3", "davis-pred")
DAVIS = Path(__file__).resolve().parents[2] / "shared" / "data" / "davis2016-val"


@pytest.mark.parametrize("name", DAVIS_NAMES)
def test_found_by_name_with_its_card(name):
    assert name in SHIPPED
    model = nextframe.load(name)
    tau, noisy = (2, False) if name == "davis-pred" else (int(name[-1]), True)
    assert (model.config.tau, model.config.noisy_input, model.config.channels) == (tau, noisy, 1)
    meta, card = read_metadata(shipped_path(name)), model_card(name)
    assert f"{meta['steps']:,}" in card and f"--tau {tau}" in card
    for needed in (
        "nextframe data video",
        "nextframe train",
        "psnr-curves",
        "wall time",
        "hardware",
        "input PSNR (dB)",
    ):
        assert needed in card, needed
    assert len(re.findall(r"\|\s*(0|10|20|30)\s*\|\s*-?\d+\.\d+", card)) == 4


def test_sizes_within_the_limits():
    sizes = [shipped_path(n).stat().st_size for n in DAVIS_NAMES]
    assert max(sizes) <= 30 * 2**20 and sum(sizes) <= 80 * 2**20


@pytest.mark.skipif(not DAVIS.is_dir(), reason="needs ../shared/data/davis2016-val")
def test_memory_helps_at_low_input_psnr_on_unseen_clips(tmp_path):
    from nextframe.analysis.natural import psnr_curves
    from nextframe.data.store import ClipDataset
    from nextframe.data.video import VideoCropConfig, write_video_dataset

    # blackswan and car-roundabout were held out of the shipped models' training; scale 4 only, to keep this quick
    sources = [DAVIS / "JPEGImages" / "480p" / n for n in ("blackswan", "car-roundabout")]
    out, _ = write_video_dataset(
        sources, tmp_path / "clips", VideoCropConfig(scales=(4,)), test_sequences=["blackswan"], progress=False
    )
    clips = ClipDataset.open(out).clips("test")
    models = {n: nextframe.load(n) for n in ("davis-tau0", "davis-tau2")}
    curves = psnr_curves(models, clips, input_psnrs=(0.0,), examples=128)
    assert curves["davis-tau2"]["output_psnr"][0] > curves["davis-tau0"]["output_psnr"][0] + 1.0, curves
    assert np.isfinite(curves["davis-tau0"]["output_psnr"][0])
