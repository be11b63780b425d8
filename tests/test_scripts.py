"""The scripts behind shipped results (scripts/) still run: each answers --help, the cheap ones do their job on small
inputs, and the card writer refuses to rewrite the cards from missing runs."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
EXAMPLES = ["stage1=832000", "stage2=1536000", "stage3=2144000", "stage4=2384000", "stage5=3024000"]  # the card's


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_answers_help(script):
    done = run(script, "--help")
    assert done.returncode == 0 and "usage" in done.stdout, done.stderr


def test_shell_scripts_parse():
    for script in (ROOT / "scripts").glob("*.sh"):
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, script


def test_card_writer_refuses_without_the_stage_runs(tmp_path):
    done = run(ROOT / "scripts" / "davis_cards.py", cwd=tmp_path)
    assert done.returncode != 0 and "nothing written" in done.stderr
    assert not any(tmp_path.iterdir())


def test_methods_card_writer_refuses_without_the_runs(tmp_path):
    done = run(
        ROOT / "scripts" / "methods_cards.py", "--runs", str(tmp_path / "r"), "--benchmark", str(tmp_path), cwd=tmp_path
    )
    assert done.returncode != 0 and "nothing written" in done.stderr
    assert not any(tmp_path.iterdir())


def test_first_layer_ratios_of_a_shipped_denoiser():
    done = run(ROOT / "scripts" / "davis_first_layer.py", "davis-tau2")
    assert done.returncode == 0 and "median" in done.stdout and "over 32 filters" in done.stdout, done.stderr


def test_learning_curve_from_the_shipped_table(tmp_path):
    done = run(
        ROOT / "scripts" / "leaves_study_curve.py",
        ROOT / "docs/results/leaves-study/curve.json",
        "--out",
        tmp_path / "curve.png",
        "--examples",
        *EXAMPLES,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "curve.png").stat().st_size > 10_000 and "examples" in done.stdout


def test_gpu_script_smoke_trains_every_method_and_its_weights_come_back(tmp_path):
    """scripts/gpu_train.py --smoke: the device script's whole path on the CPU (data, ten runs at once, half-precision
    packing into parts the device tool brings back, unpacking), and the weights load and predict here."""
    import torch

    from nextframe.methods import load

    mnist = ROOT.parent / "shared" / "data" / "mnist"
    extra = ["--mnist", mnist] if mnist.is_dir() else []  # SM-MNIST where the MNIST files are; Moving Leaves always
    done = run(
        ROOT / "scripts" / "gpu_train.py", "--smoke", "--out", tmp_path / "out", "--work", tmp_path / "w", *extra
    )
    assert done.returncode == 0, done.stderr
    parts = sorted((tmp_path / "out").iterdir())
    assert parts and all(p.name.startswith("runs.tar.part") and p.stat().st_size <= 15 * 2**20 for p in parts)
    done = run(ROOT / "scripts" / "gpu_train.py", "--unpack", tmp_path / "out", "--into", tmp_path / "back")
    assert done.returncode == 0, done.stderr
    runs = sorted(p.name for p in (tmp_path / "back").iterdir())
    expected = {f"{d}-{m}" for d in ("leaves", "smmnist32")[: 1 + bool(extra)] for m in METHODS}
    assert set(runs) == expected
    score = json.loads((tmp_path / "back" / "leaves-score" / "config.json").read_text())
    assert score["lens_weight"] == 10.0 and score["focus"] == 0.5  # the CPU model's recipe for the size cue
    assert (tmp_path / "back" / "leaves-score" / "model.safetensors").is_file()
    for name in ("leaves-mcvd", "leaves-svg_lp"):
        predictor = load(str(tmp_path / "back" / name))  # half-precision weights into the float32 network
        assert next(predictor.network.parameters()).dtype == torch.float32
        frames = predictor.predict(torch.rand(1, 2, 1, 32, 32), 2, samples=1, seed=0).frames
        assert frames.shape == (1, 2, 1, 32, 32) and torch.isfinite(frames).all()


METHODS = ("score", "deterministic", "svg_lp", "mcvd", "rvd")


def test_scale_study_measures_every_snapshot_once(tmp_path, leaves16):
    # a 16x16 model (the deterministic floor: one pass per sample, so the smoke test is quick) measured on its own
    # canvas; a second call finds the point by its weights and measures nothing again
    from nextframe.cli.main import main

    data, run_dir, out = leaves16, tmp_path / "s16", tmp_path / "out"
    argv = ["train", "--data", str(data), "--out", str(run_dir), "--method", "deterministic", "--width", "8"]
    assert main([*argv, "--max-steps", "1", "--heldout-examples", "4", "--no-progress"]) == 0
    small = ["--windows", "2", "--window-samples", "1", "--probe-samples", "1"]
    done = run(ROOT / "scripts" / "scale_study.py", run_dir, "--out", out, *small)
    assert done.returncode == 0 and "16x16" in done.stdout, done.stderr
    assert (
        "| 16x16 |" in (out / "table.md").read_text() and " ± " in (out / "table.md").read_text()
    )  # errors over windows
    again = run(ROOT / "scripts" / "scale_study.py", run_dir, "--out", out, *small)
    assert again.returncode == 0 and "CPU-min" not in again.stdout, again.stdout


def test_card_commands_carry_switches_and_only_the_methods_own_settings(monkeypatch):
    """The command a card gives must train the recipe that ran: switches included (a frozen-norm stage once lost its
    --freeze-norm), another method's settings left out, a method's settings only where they differ from its defaults."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    from methods_cards import train_command

    old = {"data": "d", "method": "deterministic", "freeze_norm": True, "init": "w", "sigma_max": 1.0, "lr": 0.001}
    command = train_command(old, "leaves")  # a config saved when the score method's noise sat beside every method's
    assert "--freeze-norm" in command and "--lr 0.001" in command and "--sigma-max" not in command
    command = train_command(
        {"data": "d", "method": "mcvd", "options": {"dropout": 0.0, "multipliers": "1,2,2"}}, "leaves"
    )
    assert command.endswith("--method mcvd --dropout 0")
    # RVD's settings saved under the names they had while every method's flags shared one namespace, as text
    command = train_command(
        {"data": "d", "method": "rvd", "options": {"rvd_multipliers": "1,2", "rvd_loss": "l2"}}, "x"
    )
    assert command.endswith("--method rvd --multipliers 1,2 --noise-loss l2"), command


def test_average_weights_is_the_mean_and_counts_each_run_once(tmp_path):
    """Two runs and a snapshot of the first averaged: every tensor the mean, the file loads as the model, and the
    training totals count the shared stage before once, the first run's longest stage once (its snapshot was trained
    on the way) and the second run's stage: 100 + 45 + 45 CPU-minutes, not the sum of the three files' totals."""
    import torch
    from safetensors.torch import load_file

    import nextframe
    from nextframe.models.files import read_metadata, save_weights
    from nextframe.networks.unet import ConditionalUNet, UNetConfig

    def weights(name, seed, run_dir, minutes):
        torch.manual_seed(seed)
        extra = {"train": {"out": run_dir}, "minutes": minutes, "examples": 1000 * minutes, "steps": 10 * minutes}
        extra.update(
            total_minutes=100 + minutes, total_examples=100000 + 1000 * minutes, total_steps=1000 + 10 * minutes
        )
        save_weights(tmp_path / name, ConditionalUNet(UNetConfig(tau=2, width=4)), "score", extra)
        return tmp_path / name

    files = [
        weights("a.safetensors", 0, "ra", 45),
        weights("a30.safetensors", 1, "ra", 30),
        weights("b.safetensors", 2, "rb", 45),
    ]
    done = run(ROOT / "scripts" / "average_weights.py", *files, "--out", tmp_path / "soup" / "model.safetensors")
    assert done.returncode == 0, done.stderr
    soup = load_file(str(tmp_path / "soup" / "model.safetensors"))
    parts = [load_file(str(f)) for f in files]
    key = next(k for k, v in soup.items() if v.is_floating_point() and v.abs().sum() > 0)
    torch.testing.assert_close(soup[key], (parts[0][key] + parts[1][key] + parts[2][key]) / 3)
    meta = read_metadata(tmp_path / "soup" / "model.safetensors")
    assert meta["total_minutes"] == 190 and meta["total_examples"] == 190000 and len(meta["averaged_from"]) == 3
    assert nextframe.load(str(tmp_path / "soup" / "model.safetensors")).method == "score"
    other = tmp_path / "w8.safetensors"
    save_weights(other, ConditionalUNet(UNetConfig(tau=2, width=8)), "score")
    refused = run(ROOT / "scripts" / "average_weights.py", files[0], other, "--out", tmp_path / "x.safetensors")
    assert refused.returncode == 2 and "different networks" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "x.safetensors").exists()


def test_widen_weights_writes_a_wider_or_deeper_model_of_the_same_function(tmp_path):
    import torch

    import nextframe
    from nextframe.models.files import read_metadata, save_weights
    from nextframe.networks.unet import ConditionalUNet, UNetConfig

    torch.manual_seed(0)
    save_weights(
        tmp_path / "w4.safetensors", ConditionalUNet(UNetConfig(tau=2, width=4)).eval(), "score", {"total_minutes": 9.0}
    )
    done = run(
        ROOT / "scripts" / "widen_weights.py",
        tmp_path / "w4.safetensors",
        "--width",
        "6",
        "--noise",
        "0",
        "--out",
        tmp_path / "w6.safetensors",
    )
    assert done.returncode == 0 and "moved by 0.00%" in done.stdout, done.stderr
    meta = read_metadata(tmp_path / "w6.safetensors")
    assert meta["network"]["width"] == 6 and meta["widened_from"]["width"] == 4 and meta["total_minutes"] == 9.0
    narrow, wide = nextframe.load(str(tmp_path / "w4.safetensors")), nextframe.load(str(tmp_path / "w6.safetensors"))
    past = torch.rand(1, 2, 1, 32, 32)
    torch.testing.assert_close(
        wide.predict(past, 1, seed=3).frames, narrow.predict(past, 1, seed=3).frames, atol=1e-4, rtol=0
    )
    refused = run(
        ROOT / "scripts" / "widen_weights.py",
        tmp_path / "w6.safetensors",
        "--width",
        "4",
        "--out",
        tmp_path / "x.safetensors",
    )
    assert refused.returncode == 2 and "narrower" in refused.stderr and not (tmp_path / "x.safetensors").exists()
    deep = run(
        ROOT / "scripts" / "widen_weights.py",
        tmp_path / "w4.safetensors",
        "--scales",
        "4",
        "--out",
        tmp_path / "d4.safetensors",
    )
    assert deep.returncode == 0 and "scales 3 -> 4" in deep.stdout and "moved by 0.00%" in deep.stdout, deep.stderr
    meta = read_metadata(tmp_path / "d4.safetensors")
    assert meta["network"]["scales"] == 4 and meta["deepened_from"]["scales"] == 3 and "widened_from" not in meta
    torch.testing.assert_close(
        nextframe.load(str(tmp_path / "d4.safetensors")).predict(past, 1, seed=3).frames,
        narrow.predict(past, 1, seed=3).frames,
        atol=1e-4,
        rtol=0,
    )
    for flags, why in ((("--scales", "7"), "do not fit a 7-scale U-Net"), ((), "nothing to grow")):
        refused = run(
            ROOT / "scripts" / "widen_weights.py",
            tmp_path / "w4.safetensors",
            *flags,
            "--out",
            tmp_path / "x.safetensors",
        )
        assert refused.returncode == 2 and why in refused.stderr and not (tmp_path / "x.safetensors").exists()


def test_lineage_curve_slope_and_the_hours_it_implies(monkeypatch):
    """The next CPU-hour's worth: a share rising 10 points an hour from 60% is 2 hours from 80%; one falling toward
    its target counts down; a flat series never gets there; a target already met costs nothing."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    from lineage_curve import extrapolate

    def row(minutes, larger, smaller, unclean, probes):
        return {
            "cpu_minutes": minutes,
            "larger_share": larger,
            "smaller_share": smaller,
            "not_two_clean_disks_share": unclean,
            "probes_larger_unambiguous": probes,
        }

    rows = [row(60 * h, 0.4 + 0.1 * h, 0.1, 0.45 - 0.1 * h, 0.85 + 0.05 * h) for h in range(3)]
    report = extrapolate(rows, last=3)
    assert report["larger_share"]["points_per_cpu_hour"] == pytest.approx(10.0)
    assert report["larger_share"]["cpu_hours_to_target"] == pytest.approx(2.0)
    assert report["not_two_clean_disks_share"]["cpu_hours_to_target"] == pytest.approx(1.0)
    assert report["smaller_share"]["cpu_hours_to_target"] == float("inf")  # flat, above the 5% target
    assert report["probes_larger_unambiguous"]["cpu_hours_to_target"] == 0.0  # 95% now: met
    # a noisy rise no larger than its error is said to be no trend, whatever hours its slope would give
    noisy = [row(60 * h, 0.5 + d, 0.1, 0.4, 0.8) for h, d in enumerate((0.0, 0.05, -0.04, 0.06, -0.03))]
    assert not extrapolate(noisy, last=5)["larger_share"]["trend_measured"]
    assert report["larger_share"]["trend_measured"]
