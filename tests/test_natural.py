"""Section 3.2 commands end to end on a small synthetic video dataset with untrained networks: files, shapes of the
reports, the equal-target rule of the PSNR curves, and one-line refusals. Values of trained models are in the cards."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nextframe.analysis.natural import (
    WienerDenoiser,
    aligned_windows,
    mid_range_slope,
    power_spectrum,
    static_pattern,
    translating_probe,
)
from nextframe.cli.main import main
from nextframe.data.video import VideoCropConfig, write_video_dataset
from nextframe.models.files import save_weights
from nextframe.networks import ConditionalUNet, UNetConfig


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("natural")
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        scene = rng.integers(0, 256, size=(80, 200)).astype(np.uint8)  # a random texture panning right, 2 px per frame
        folder = root / "videos" / name
        folder.mkdir(parents=True)
        for t in range(12):
            Image.fromarray(np.ascontiguousarray(scene[:, 100 - 2 * t : 180 - 2 * t])).save(folder / f"{t:03d}.png")
    cfg = VideoCropConfig(scales=(1, 2), rows=1, cols=2)
    data, _ = write_video_dataset([root / "videos"], root / "clips", cfg, test_sequences=["c"], progress=False)
    models = {}
    for name, tau, noisy in (("t0", 0, True), ("t1", 1, True), ("t2", 2, True), ("pred", 2, False)):
        torch.manual_seed(tau)
        models[name] = root / f"{name}.safetensors"
        save_weights(
            models[name],
            ConditionalUNet(UNetConfig(tau=tau, width=4, noisy_input=noisy)).eval(),
            "score" if noisy else "deterministic",
        )
    return root, data, models


def test_aligned_windows_share_targets():
    clips = np.arange(2 * 6).reshape(2, 6, 1, 1, 1).astype(np.uint8).repeat(8, 3).repeat(8, 4)
    for tau in range(4):
        _, target = aligned_windows(clips, tau, 3).batch(np.arange(6))
        assert target[:, 0, 0, 0].mul(255).round().tolist() == [3, 4, 5, 9, 10, 11]


def test_translating_probe_moves_by_the_velocity():
    image = np.random.default_rng(1).random((64, 80)).astype(np.float32)
    frames = translating_probe(image, (1, -2), tau=2)
    assert frames.shape == (3, 1, 32, 32)
    torch.testing.assert_close(frames[1, 0, 1:, :-2], frames[0, 0, :-1, 2:])  # content shifted down 1, left 2
    torch.testing.assert_close(frames[2, 0, 1:, :-2], frames[1, 0, :-1, 2:])
    static = static_pattern(32, 3)
    assert torch.equal(static[0], static[2]) and len(torch.unique(static.round(decimals=1))) >= 3


def test_mid_range_slope():
    curve = {"input_psnr": [0, 10, 20, 30, 40], "output_psnr": [20, 25, 30, 35, 40]}
    assert mid_range_slope(curve) == pytest.approx(0.5)


def test_wiener_denoiser_reaches_the_exact_mmse_of_stationary_gaussian_frames():
    # circular Gaussian frames with power spectrum P: the Wiener filter is the exact MMSE denoiser, with mean squared
    # error per pixel mean_f P sigma^2 / (P + sigma^2)
    g = torch.Generator().manual_seed(0)
    fy, fx = torch.meshgrid(torch.fft.fftfreq(16), torch.fft.fftfreq(16), indexing="ij")
    power = 0.01 / (fy.square() + fx.square() + 0.01)

    def frames(n):
        return torch.fft.ifft2(
            power.sqrt() * torch.fft.fft2(torch.randn(n, 1, 16, 16, generator=g, dtype=torch.float64))
        ).real

    train, test = frames(20000), frames(4000)
    sigma = 0.3
    wiener = WienerDenoiser(power_spectrum(train.numpy()), sigma)
    noisy = test + sigma * torch.randn(test.shape, generator=g, dtype=torch.float64)
    mse = (wiener(noisy) - test).square().mean().item()
    exact = (power * sigma**2 / (power + sigma**2)).mean().item()
    assert mse == pytest.approx(exact, rel=0.03)
    assert mse < 0.9 * (0.7 * noisy - test).square().mean().item()  # and beats a plain shrinkage of the input


def test_natural_commands_write_figures_and_numbers(setup, capsys):
    root, data, m = setup
    out = root / "out"
    assert (
        main(
            [
                "experiment",
                "psnr-curves",
                "--models",
                str(m["t0"]),
                str(m["t1"]),
                str(m["t2"]),
                "--prediction",
                str(m["pred"]),
                "--data",
                str(data),
                "--out",
                str(out),
                "--examples",
                "16",
                "--psnr",
                "0",
                "10",
                "20",
                "30",
            ]
        )
        == 0
    )
    report = json.loads((out / "psnr_curves.json").read_text())
    assert set(report["curves"]) == {
        "tau=0",
        "tau=1",
        "tau=2",
        "prediction only (tau=2)",
        "Wiener (linear, sigma known)",
    }
    assert (
        report["curves"]["Wiener (linear, sigma known)"]["reference"] and "wiener_slope_10_to_30dB" in report["summary"]
    )
    assert len(set(report["curves"]["prediction only (tau=2)"]["output_psnr"])) == 1  # it ignores the noisy frame
    assert "tau0_slope_10_to_30dB" in report["summary"] and "gap_to_prediction_only_at_0dB" in report["summary"]
    assert (
        main(
            [
                "experiment",
                "filters",
                "--model",
                str(m["t2"]),
                "--data",
                str(data),
                "--out",
                str(out),
                "--scale",
                "1",
                "--velocities",
                "0,2",
            ]
        )
        == 0
    )
    report = json.loads((out / "filters.json").read_text())
    assert report["sequence"] == "c" and [s["true_cols"] for s in report["probes"][0]["displacements"]] == [-4, -2]
    assert (
        main(
            [
                "experiment",
                "cues",
                "--model",
                str(m["t2"]),
                "--data",
                str(data),
                "--out",
                str(out),
                "--probes",
                "c:0:1:0",
                "static",
                "--psnr",
                "0",
                "20",
                "40",
            ]
        )
        == 0
    )
    report = json.loads((out / "cues.json").read_text())
    assert set(report["crossover_psnr"]) == {"c", "static"}
    assert all(r["linearity_error"] < 1e-4 for r in report["probes"]["c"]["rows"])
    assert (
        main(
            [
                "experiment",
                "samples",
                "--model",
                str(m["t2"]),
                "--data",
                str(data),
                "--out",
                str(out),
                "--clips",
                "2",
                "--samples",
                "2",
                "--max-steps",
                "20",
            ]
        )
        == 0
    )
    report = json.loads((out / "samples.json").read_text())
    assert np.array(report["sample_psnr"]).shape == (2, 2)
    for name in ("psnr_curves", "filters", "cues", "samples"):
        assert (out / f"{name}.png").stat().st_size > 0


def test_psnr_curves_tells_apart_two_models_of_one_tau(setup, tmp_path):
    # two stages of one tau side by side: each curve is labelled with its model's name, and the two differ
    root, data, m = setup
    other = tmp_path / "t2b.safetensors"
    torch.manual_seed(7)
    save_weights(other, ConditionalUNet(UNetConfig(tau=2, width=4)).eval(), "score")
    assert (
        main(
            [
                "experiment",
                "psnr-curves",
                "--models",
                str(m["t2"]),
                str(other),
                "--prediction",
                "none",
                "--data",
                str(data),
                "--out",
                str(tmp_path),
                "--examples",
                "8",
                "--psnr",
                "0",
                "20",
            ]
        )
        == 0
    )
    curves = json.loads((tmp_path / "psnr_curves.json").read_text())["curves"]
    assert set(curves) == {f"tau=2 {m['t2']}", f"tau=2 {other}", "Wiener (linear, sigma known)"}
    assert curves[f"tau=2 {m['t2']}"]["output_psnr"] != curves[f"tau=2 {other}"]["output_psnr"]


def test_natural_commands_refuse_bad_input_in_one_line(setup, capsys):
    root, data, m = setup
    out = str(root / "bad")
    calls = [
        (["experiment", "filters", "--model", str(m["t0"]), "--data", str(data), "--out", out], "tau >= 1"),
        (
            ["experiment", "filters", "--model", str(m["t2"]), "--data", str(data), "--out", out, "--sequence", "a"],
            "not a test sequence",
        ),
        (
            ["experiment", "filters", "--model", str(m["t2"]), "--data", str(data), "--out", out, "--velocities", "1"],
            "ROWS,COLS",
        ),
        (
            ["experiment", "cues", "--model", str(m["t2"]), "--data", str(data), "--out", out, "--probes", "c:99:1:0"],
            "no test clip",
        ),
        (
            ["experiment", "psnr-curves", "--models", str(m["pred"]), "--data", str(data), "--out", out],
            "prediction-only",
        ),
        (
            ["experiment", "psnr-curves", "--models", str(m["t2"]), str(m["t2"]), "--data", str(data), "--out", out],
            "named twice",
        ),
        (
            ["experiment", "samples", "--data", str(root), "--out", out, "--model", str(m["t2"])],
            "not a nextframe dataset",
        ),
    ]
    for argv, message in calls:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("nextframe: error:") and message in err[0], (argv, err)
