"""Training: the loss, exact resume, model files, and clear refusals."""

import json
import math
import shutil
import time

import numpy as np
import pytest
import torch

from nextframe.data.leaves import LeavesTruth, load_truth, write_leaves
from nextframe.data.store import ClipDataset, Windows
from nextframe.errors import NextframeError
from nextframe.evaluation.denoising import denoising_psnr
from nextframe.methods import load, train
from nextframe.methods.score.loss import BlindDenoisingLoss
from nextframe.methods.score.training import COLUMNS as PSNR_COLUMNS
from nextframe.methods.score.training import LOG_PSNRS
from nextframe.methods.score.training import Settings as ScoreSettings
from nextframe.models.files import model_file, read_metadata
from nextframe.training.config import TrainConfig
from nextframe.training.trainer import budget_spent


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    return write_leaves(tmp_path_factory.mktemp("data") / "leaves", n=60, seed=2, progress=False)


def config(data, out, **kw):
    base = dict(
        data=str(data), out=str(out), width=4, batch_size=8, examples_per_epoch=32, heldout_examples=16, progress=False
    )
    return TrainConfig(**{**base, **kw})


def test_noise_levels_follow_the_square_of_a_uniform():
    sigma = BlindDenoisingLoss().noise_levels(200_000, torch.Generator().manual_seed(0))
    # sigma = u^2: P(sigma < s) = sqrt(s), E[sigma] = 1/3
    assert (sigma < 0.25).float().mean().item() == pytest.approx(0.5, abs=0.01)
    assert sigma.mean().item() == pytest.approx(1 / 3, abs=0.01)


def test_loss_of_a_perfect_denoiser_is_zero_and_of_identity_is_the_noise_power():
    loss = BlindDenoisingLoss()
    clean = torch.rand(4000, 1, 2, 2)
    perfect = lambda noisy, context: clean  # noqa: E731
    assert loss(perfect, None, clean, torch.Generator().manual_seed(0)).item() == 0.0
    identity = lambda noisy, context: noisy  # noqa: E731
    # E[sigma^2] = E[u^4] = 1/5
    assert loss(identity, None, clean, torch.Generator().manual_seed(0)).item() == pytest.approx(0.2, rel=0.05)


def test_noise_tail_takes_its_share_log_uniformly_and_leaves_the_rest_as_before():
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    plain = BlindDenoisingLoss().noise_levels(100_000, g())
    sigma = BlindDenoisingLoss(1.0, tail_sigma=4.0, tail_share=0.25).noise_levels(100_000, g())
    tail = sigma > 1.0
    assert tail.float().mean().item() == pytest.approx(0.25, abs=0.01)
    assert sigma.max().item() <= 4.0
    # log-uniform on [1, 4]: median 2, a quarter below sqrt(2)
    assert sigma[tail].median().item() == pytest.approx(2.0, rel=0.03)
    assert (sigma[tail] < 2**0.5).float().mean().item() == pytest.approx(0.25, abs=0.01)
    # the examples outside the tail keep the draws a run without a tail makes
    torch.testing.assert_close(sigma[~tail], plain[~tail], rtol=0, atol=0)
    with pytest.raises(NextframeError, match="--tail-sigma 1 must exceed --sigma-max 1"):
        ScoreSettings(tail_share=0.1, tail_sigma=1.0)
    with pytest.raises(NextframeError, match="--tail-share is a share"):
        ScoreSettings(tail_share=1.5, tail_sigma=4.0)


def test_noise_power_one_draws_sigma_uniformly_and_two_is_app_e():
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    sigma = BlindDenoisingLoss(noise_power=1.0).noise_levels(200_000, g())
    assert (sigma < 0.25).float().mean().item() == pytest.approx(0.25, abs=0.01)
    assert sigma.mean().item() == pytest.approx(0.5, abs=0.01)
    torch.testing.assert_close(
        BlindDenoisingLoss(noise_power=2.0).noise_levels(1000, g()),
        BlindDenoisingLoss().noise_levels(1000, g()),
        rtol=0,
        atol=0,
    )
    with pytest.raises(NextframeError, match="--noise-power"):
        ScoreSettings(noise_power=0.0)


def test_weight_average_follows_its_halflife_and_is_what_is_saved(small_data, tmp_path):
    from nextframe.training.trainer import WeightAverage

    live = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(live.weight)
    average = WeightAverage(live, halflife=64, examples_per_step=8)  # halves every 8 steps
    with torch.no_grad():
        live.weight.fill_(1.0)
    for _ in range(8):
        average.update(live, examples_seen=10**6)  # long into training: the ramp does not bind
    assert average.model.weight.item() == pytest.approx(0.5, abs=1e-6)  # a jump is half followed after one halflife
    run = train(config(small_data, tmp_path / "ema", max_steps=6, ema_halflife=40))
    saved = load(tmp_path / "ema" / "model.safetensors").network.state_dict()
    live_weights = load(tmp_path / "ema" / "checkpoint.pt").network.state_dict()
    assert run["steps"] == 6
    assert any(
        not torch.equal(saved[k], live_weights[k]) for k in saved
    )  # the file holds the average, not the live net


def test_weight_average_half_life_ramps_with_the_examples_seen():
    """EDM's ramp: the half-life is min(halflife, 0.05 x examples seen), so the decay of a step grows from ~0."""
    from nextframe.training.trainer import WeightAverage

    average = WeightAverage(torch.nn.Linear(1, 1), halflife=4000, examples_per_step=8)
    assert average.decay(8) == pytest.approx(0.5 ** (8 / 0.4))  # the first step: the average becomes the live net
    assert average.decay(40_000) == pytest.approx(0.5 ** (8 / 2000))
    assert average.decay(80_000) == average.decay(10**9) == pytest.approx(0.5 ** (8 / 4000))  # capped


def test_weight_average_tracks_the_live_weights_early_in_training(small_data, tmp_path):
    """A long half-life after a few steps: the shipped average must be close to the live weights, not to the
    initialisation (a plain average from step 0 kept 99% of the random weights here, and shipped noise)."""
    init = load(
        train(config(small_data, tmp_path / "init", max_steps=1, ema_halflife=4000, lr=1e-12))["out"]
        + "/model.safetensors"
    ).network.state_dict()  # lr 1e-12: the initial weights
    train(config(small_data, tmp_path / "ema", max_steps=8, ema_halflife=4000, lr=3e-3))
    shipped = load(tmp_path / "ema" / "model.safetensors").network.state_dict()
    live = load(tmp_path / "ema" / "checkpoint.pt").network.state_dict()
    keys = [k for k in live if live[k].dtype.is_floating_point and "running" not in k]
    moved = sum((live[k] - init[k]).square().sum() for k in keys).sqrt()
    lag = sum((shipped[k] - live[k]).square().sum() for k in keys).sqrt()
    assert moved > 0 and lag < 0.2 * moved  # the average followed the live net's path


def test_log_shows_the_average_and_the_live_weights(small_data, tmp_path, capsys):
    train(config(small_data, tmp_path / "ema", max_steps=4, ema_halflife=4000))
    header = (tmp_path / "ema" / "log.csv").read_text().splitlines()[0].split(",")
    assert {"heldout_loss", "live_heldout_loss"} <= set(header)
    assert {f"live_{c}" for c in PSNR_COLUMNS} <= set(header)
    assert "average: held-out" in capsys.readouterr().out
    train(config(small_data, tmp_path / "plain", max_steps=4))
    assert not any(
        c.startswith("live_") for c in (tmp_path / "plain" / "log.csv").read_text().splitlines()[0].split(",")
    )


def test_learning_rate_warms_up_linearly_and_gradients_are_clipped(small_data, tmp_path):
    run = train(config(small_data, tmp_path / "warm", max_steps=4, warmup_steps=100, lr=1e-3))
    assert run["log"][-1]["lr"] == pytest.approx(1e-3 * 4 / 100)  # the 4th of 100 warm-up steps

    def moved(name, **kw):
        """How far 4 steps take the weights from the initialisation (the same seed: the same start)."""
        train(config(small_data, tmp_path / name, max_steps=4, lr=1e-3, **kw))
        weights = load(tmp_path / name / "checkpoint.pt").network.state_dict()
        return sum((weights[k] - initial[k]).abs().sum() for k in initial if "running" not in k and "num_" not in k)

    initial = load(
        train(config(small_data, tmp_path / "init", max_steps=1, lr=1e-12))["out"] + "/checkpoint.pt"
    ).network.state_dict()
    # Adam's step does not depend on the gradient's scale until the gradient is far below its epsilon (1e-8): a clip
    # to a norm of 1e-12 leaves the weights where they started, and no clip moves them
    assert moved("clipped", grad_clip=1e-12) < 0.01 * moved("free")


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"augment": True, "options": {"tail_share": 0.3, "tail_sigma": 3.0}},
        {"ema_halflife": 40, "options": {"noise_power": 1.0}},
    ],
    ids=["plain", "augment-tail", "ema-power"],
)
def test_resumed_training_matches_uninterrupted_training(small_data, tmp_path, extra):
    straight = train(config(small_data, tmp_path / "a", max_steps=7, **extra))  # 4 steps per epoch: stops mid-epoch 2
    assert straight["steps"] == 7
    first = train(config(small_data, tmp_path / "b", max_steps=3, **extra))
    assert first["steps"] == 3
    second = train(config(small_data, tmp_path / "b", max_steps=7, **extra))
    assert second["steps"] == 7
    a = load(tmp_path / "a" / "checkpoint.pt").network.state_dict()
    b = load(tmp_path / "b" / "checkpoint.pt").network.state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    a, b = (load(tmp_path / run / "model.safetensors").network.state_dict() for run in ("a", "b"))  # the average too
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    log = (tmp_path / "b" / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,step,examples,train_loss,heldout_loss")
    assert len(log) >= 3


def test_cpu_budget_clock_counts_this_process_cpu_time(small_data, tmp_path, monkeypatch):
    """--budget-clock cpu stops on CPU time (here a fake clock that advances a minute per reading), wall on elapsed."""
    import time

    ticks = iter(range(0, 10**6, 60))
    monkeypatch.setattr(time, "process_time", lambda: float(next(ticks)))
    cpu = train(config(small_data, tmp_path / "cpu", max_steps=20, max_minutes=3, budget_clock="cpu"))
    assert cpu["steps"] == 3  # a minute per step: the budget of three minutes ends it after three steps
    wall = train(config(small_data, tmp_path / "wall", max_steps=20, max_minutes=3, budget_clock="wall"))
    assert wall["steps"] == 20
    with pytest.raises(NextframeError, match="budget-clock"):
        TrainConfig(data=str(small_data), budget_clock="gpu")


def test_snapshots_mark_the_learning_curve_in_total_minutes_across_stages(small_data, tmp_path, monkeypatch):
    """A copy of the shipped weights as the total training time passes each point, counting the --init chain's."""
    import time

    ticks = iter(range(0, 10**6, 60))  # a minute per reading, as above: a minute per step
    monkeypatch.setattr(time, "process_time", lambda: float(next(ticks)))
    stage = dict(budget_clock="cpu", snapshot_minutes="2,4,6", ema_halflife=400)
    train(config(small_data, tmp_path / "one", max_minutes=3, **stage))
    assert sorted(p.name for p in (tmp_path / "one" / "snapshots").iterdir()) == ["model-2min.safetensors"]
    two = read_metadata(tmp_path / "one" / "snapshots" / "model-2min.safetensors")
    assert two["total_minutes"] == 2 and two["steps"] == 2
    train(config(small_data, tmp_path / "two", max_minutes=2, init=str(tmp_path / "one"), **stage))  # 3 + 2 minutes
    names = sorted(p.name for p in (tmp_path / "two" / "snapshots").iterdir())
    assert names == ["model-4min.safetensors"]  # 2 came before this stage; 6 after it
    assert read_metadata(tmp_path / "two" / "model.safetensors")["total_minutes"] == 5
    # the curve a card draws of each stage: its snapshots and its final weights, and the final weights alone for a
    # stage that ended before its first snapshot (a shipped stage's curve once came out empty)
    from nextframe.analysis.learning_curves import snapshots

    assert [m for m, _ in snapshots(tmp_path / "two")] == [4, 5]
    late = {**stage, "snapshot_minutes": "9"}
    train(config(small_data, tmp_path / "three", max_minutes=1, init=str(tmp_path / "two"), **late))  # 5 + 1
    assert not list((tmp_path / "three").glob("snapshots/*.safetensors"))
    shutil.rmtree(tmp_path / "three" / "snapshots", ignore_errors=True)  # as a run folder without the folder
    assert snapshots(tmp_path / "three") == [(6.0, tmp_path / "three" / "model.safetensors")]
    with pytest.raises(NextframeError, match="snapshot-minutes"):
        TrainConfig(data=str(small_data), snapshot_minutes="3,ten")


def test_weights_and_checkpoint_load_to_the_same_network(small_data, tmp_path):
    train(config(small_data, tmp_path, max_steps=2, tau=1))
    from_weights = load(tmp_path / "model.safetensors").network
    from_checkpoint = load(tmp_path / "checkpoint.pt").network
    assert load(tmp_path).network.config == from_weights.config  # a run folder means its model.safetensors
    assert from_weights.config == from_checkpoint.config and from_weights.config.tau == 1
    noisy, context = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(from_weights(noisy, context), from_checkpoint(noisy, context), rtol=0, atol=0)
    meta = read_metadata(tmp_path / "model.safetensors")
    assert (
        meta["method"] == "score" and meta["network"]["tau"] == 1 and meta["train"]["width"] == 4 and meta["steps"] == 2
    )
    assert json.loads((tmp_path / "config.json").read_text())["tau"] == 1
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert {"model", "optimizer", "scheduler", "config", "progress", "rng"} <= set(state)


def test_resuming_with_another_model_setting_is_refused(small_data, tmp_path):
    train(config(small_data, tmp_path, max_steps=1))
    with pytest.raises(NextframeError, match="tau=2, not 1"):
        train(config(small_data, tmp_path, max_steps=2, tau=1))
    train(config(small_data, tmp_path, max_steps=1, tau=1), fresh=True)  # --fresh starts over


def test_unknown_model_names_are_refused():
    import nextframe

    with pytest.raises(
        NextframeError, match="'leaves-tau3' is neither a file nor a shipped model .shipped: leaves-tau2"
    ):
        nextframe.load("leaves-tau3")


def test_corrupt_files_are_named(small_data, tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(NextframeError, match="corrupt"):
        train(config(small_data, tmp_path, max_steps=1))
    (tmp_path / "w.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(NextframeError, match="corrupt"):
        load(tmp_path / "w.safetensors")
    with pytest.raises(NextframeError, match="not a nextframe dataset"):
        train(config(tmp_path, tmp_path / "run", max_steps=1))
    with pytest.raises(NextframeError, match="needs at least 12"):
        train(config(small_data, tmp_path / "run", max_steps=1, tau=11))


def test_prediction_only_network_trains(small_data, tmp_path):
    summary = train(config(small_data, tmp_path, max_steps=4, method="deterministic"))
    model = load(tmp_path / "model.safetensors").network
    assert not model.config.noisy_input and np.isfinite(summary["log"][-1]["heldout_loss"])
    assert read_metadata(tmp_path / "model.safetensors")["method"] == "deterministic"
    # it never sees the noisy frame: its log holds one held-out PSNR, that of its prediction
    log = summary["log"][-1]
    assert np.isfinite(log["heldout_psnr"]) and not set(PSNR_COLUMNS) & set(log)
    # and it is used through the one predictor interface: one network evaluation per frame, the same frames every
    # time (it is deterministic), whatever the seeds
    import nextframe

    predictor = nextframe.load(str(tmp_path / "model.safetensors"))
    past = torch.rand(2, 2, 1, 32, 32)
    first, again = predictor.predict(past, 3, samples=2, seed=0), predictor.predict(past, 3, samples=2, seed=5)
    assert first.frames.shape == (4, 3, 1, 32, 32) and torch.equal(first.frames, again.frames)
    assert first.evaluations_per_frame == 1
    # the weights record the frames they were trained on, and the predictor refuses frames of another size (a
    # convolutional network would sample them without complaint)
    assert predictor.frame_shape == (1, 32, 32)
    with pytest.raises(NextframeError, match="trained on 1-channel 32x32 frames, got 1-channel 64x64"):
        predictor.predict(torch.rand(1, 2, 1, 64, 64), 1)


def test_prediction_only_network_learns_its_own_rollout(small_data, tmp_path):
    # with --future 3 the loss is the MSE of the same recursive rollout the predictor makes at test time (its frames
    # fed back as context), so what it trains on is what the benchmark measures; the logged PSNR is that rollout's
    from nextframe.methods.deterministic import PredictionLoss
    from nextframe.metrics import psnr

    summary = train(config(small_data, tmp_path, max_steps=4, method="deterministic", future=3))
    import nextframe

    predictor = nextframe.load(str(tmp_path / "model.safetensors"))
    windows = Windows(ClipDataset.open(small_data).clips("test"), 2, 3)
    context, clean = windows.batch(np.arange(4))
    with torch.no_grad():
        ours = PredictionLoss(1).rollout(predictor.network, context, 3).clamp(0, 1)
    theirs = predictor.predict(context.unflatten(1, (2, 1)), 3, samples=1).frames
    assert torch.allclose(ours.unflatten(1, (3, 1)), theirs, atol=1e-5)
    assert ours.shape == clean.shape and np.isfinite(summary["log"][-1]["heldout_psnr"])
    expected = float(psnr(ours.unflatten(1, (3, 1)), clean.unflatten(1, (3, 1))).mean())
    assert expected == pytest.approx(float(psnr(theirs, clean.unflatten(1, (3, 1))).mean()), abs=1e-3)
    with pytest.raises(NextframeError, match="needs --tau >= 1"):
        train(config(small_data, tmp_path / "t0", max_steps=1, method="deterministic", future=3, tau=0))


def test_logged_heldout_psnrs_are_those_of_the_saved_weights(small_data, tmp_path):
    # the log's output PSNR at each input PSNR is what denoising_psnr gives the saved model on the same windows and noise
    summary = train(config(small_data, tmp_path, max_steps=4))
    dataset = ClipDataset.open(small_data)
    windows = Windows(dataset.clips("test"), 2)
    index = np.random.default_rng([0, 7]).permutation(len(windows))[:16]
    rows = denoising_psnr(load(tmp_path / "model.safetensors").network.eval(), windows, LOG_PSNRS, index=index)
    logged = [summary["log"][-1][key] for key in PSNR_COLUMNS]
    assert logged == pytest.approx([r["output_psnr"] for r in rows], abs=1e-4)
    header = (tmp_path / "log.csv").read_text().splitlines()[0].split(",")
    assert [f"heldout_psnr_at_{p}dB" for p in LOG_PSNRS] == [h for h in header if h.startswith("heldout_psnr")]


def test_cosine_schedule_anneals_to_zero_and_resumes_exactly(small_data, tmp_path):
    summary = train(config(small_data, tmp_path / "a", max_steps=6, lr_schedule="cosine", lr=1e-3))
    state = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert summary["steps"] == 6
    train(config(small_data, tmp_path / "b", max_steps=6, lr_schedule="cosine", lr=1e-3, epochs=1))  # stops at 4 steps
    train(config(small_data, tmp_path / "b", max_steps=6, lr_schedule="cosine", lr=1e-3))
    a = load(tmp_path / "a" / "checkpoint.pt").network.state_dict()
    b = load(tmp_path / "b" / "checkpoint.pt").network.state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    with pytest.raises(NextframeError, match="max-steps"):
        TrainConfig(lr_schedule="cosine")


def test_budget_spent_is_the_larger_share_of_the_budgets_set():
    assert budget_spent(3, 10.0, 6, math.inf) == 0.5  # steps only
    assert budget_spent(3, 10.0, 0, 40.0) == 0.25  # clock only
    assert budget_spent(3, 30.0, 6, 40.0) == 0.75  # whichever runs out first
    assert budget_spent(9, 50.0, 6, 40.0) == 1.0  # past both: the rate stays 0
    assert budget_spent(9, 50.0, 0, math.inf) == 0.0  # no budget: the peak rate


def test_cosine_budget_is_cosine_when_steps_stop_and_anneals_to_zero_when_time_does(small_data, tmp_path, monkeypatch):
    train(config(small_data, tmp_path / "a", max_steps=6, lr_schedule="cosine", lr=1e-3))
    train(config(small_data, tmp_path / "b", max_steps=6, lr_schedule="cosine-budget", lr=1e-3))
    a = load(tmp_path / "a" / "checkpoint.pt").network.state_dict()
    b = load(tmp_path / "b" / "checkpoint.pt").network.state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    # stopped by its clock (a few steps' time), the run still ends at rate 0, having stepped at rates between
    # a CPU clock that every reading moves 0.05 s (a step reads it twice): 12 steps fill 0.6 s on any machine, where a
    # real clock let a loaded machine's first step eat the whole budget
    readings = iter(0.05 * i for i in range(10**6))
    monkeypatch.setattr(time, "process_time", lambda: next(readings))
    summary = train(
        config(small_data, tmp_path / "c", max_minutes=0.01, budget_clock="cpu", lr_schedule="cosine-budget", lr=1e-3)
    )
    state = torch.load(tmp_path / "c" / "checkpoint.pt", weights_only=False)
    assert summary["stopped"] == "budget" and summary["steps"] == 12
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.0
    with pytest.raises(NextframeError, match="max-steps or --max-minutes"):
        TrainConfig(lr_schedule="cosine-budget")


def test_data_of_a_size_the_unet_cannot_take_is_refused(tmp_path):
    from nextframe.data.leaves import LeavesConfig

    data = write_leaves(tmp_path / "odd", n=20, cfg=LeavesConfig.for_size(18), progress=False)
    with pytest.raises(NextframeError, match="18x18 pixels do not fit a 3-scale U-Net"):
        train(config(data, tmp_path / "run", max_steps=1))


def test_init_starts_from_given_weights_with_a_fresh_optimiser(small_data, tmp_path):
    train(config(small_data, tmp_path / "a", max_steps=2))
    first = load(tmp_path / "a").network
    train(config(small_data, tmp_path / "b", max_steps=1, lr=1e-30, init=str(tmp_path / "a" / "model.safetensors")))
    again = load(tmp_path / "b").network  # lr 1e-30 (0 is refused): the step changes nothing the optimiser drives
    for name, value in first.state_dict().items():
        if "running" not in name:  # batch-norm statistics still follow the data
            torch.testing.assert_close(again.state_dict()[name], value, rtol=0, atol=0)
    with pytest.raises(NextframeError, match="match --method, --tau and --width"):
        train(config(small_data, tmp_path / "c", max_steps=1, width=8, init=str(tmp_path / "a")))
    # --freeze-norm: the statistics stay the init's while the weights move
    train(
        config(
            small_data, tmp_path / "e", max_steps=2, init=str(tmp_path / "a" / "model.safetensors"), freeze_norm=True
        )
    )
    frozen = load(tmp_path / "e").network.state_dict()
    for name, value in first.state_dict().items():
        assert torch.equal(frozen[name], value) == ("running" in name), name
    with pytest.raises(NextframeError, match="give --init too"):
        config(small_data, tmp_path / "f", max_steps=1, freeze_norm=True)
    # the weights count the training they started from, through a chain of --init runs
    train(config(small_data, tmp_path / "d", max_steps=3, init=str(tmp_path / "b" / "model.safetensors")))
    meta = read_metadata(tmp_path / "d" / "model.safetensors")
    assert (meta["steps"], meta["total_steps"]) == (3, 6)
    assert meta["total_examples"] == 2 * meta["examples"]


def test_focus_fills_the_head_of_every_batch_from_the_focus_windows():
    from nextframe.training.trainer import with_focus

    order, focus = np.arange(100, 140), np.array([1, 2, 3])
    mixed = with_focus(order, focus, batch_size=8, per_batch=3, rng=np.random.default_rng(0))
    head = np.arange(40) % 8 < 3
    assert np.isin(mixed[head], focus).all() and (mixed[~head] == order[~head]).all()
    again = with_focus(order, focus, batch_size=8, per_batch=3, rng=np.random.default_rng(0))
    assert (mixed == again).all() and (order == np.arange(100, 140)).all()  # reproducible, input untouched


def test_focus_trains_on_leaves_and_is_refused_elsewhere(small_data, tmp_path):
    from nextframe.data.store import write_dataset

    summary = train(config(small_data, tmp_path / "f", max_steps=2, focus=0.5))
    assert summary["steps"] == 2 and json.loads((tmp_path / "f" / "config.json").read_text())["focus"] == 0.5
    with pytest.raises(NextframeError, match="share of each batch"):
        config(small_data, tmp_path / "g", focus=1.0)
    with pytest.raises(NextframeError, match="needs --tau 1 or more"):
        config(small_data, tmp_path / "g", focus=0.5, tau=0)
    with pytest.raises(NextframeError, match="puts no window in a batch of 8"):
        config(small_data, tmp_path / "g", focus=0.05)
    clips = np.zeros((10, 11, 1, 32, 32), np.uint8)
    plain = write_dataset(
        tmp_path / "plain",
        [(clips, np.arange(10) % 10 == 9, None)],
        {"train": 9, "test": 1},
        (11, 1, 32, 32),
        {"kind": "video"},
    )
    with pytest.raises(NextframeError, match="--focus needs Moving Leaves ground truth"):
        train(config(plain, tmp_path / "h", max_steps=1, focus=0.5))


def test_lens_weight_covers_the_next_lens_reads_the_context_only_and_trains(small_data, tmp_path):
    from nextframe.analysis.decisions import render_disks
    from nextframe.data.leaves import approach_windows, lens_region

    truth = load_truth(ClipDataset.open(small_data).truth("train"))
    windows = np.flatnonzero(approach_windows(truth, 2))
    windows = windows[np.unique(windows // (truth.centers.shape[1] - 2), return_index=True)[1]]  # one per sequence
    region = lens_region(truth, 2, windows)
    sequence, first = np.divmod(windows, truth.centers.shape[1] - 2)
    centers = torch.from_numpy(truth.centers[sequence, first + 2].astype(np.float32))
    radii, lum = torch.from_numpy(truth.radii[sequence]), torch.from_numpy(truth.luminance[sequence])
    views = torch.stack([render_disks(centers, radii, lum, o, 32) for o in range(2)], 1)
    lens = ((views[:, 0] - views[:, 1]).abs() > 0.05).numpy()
    assert lens.sum() > 0 and (lens * region).sum() >= 0.9 * lens.sum()  # where the order shows next, weighted
    assert region.mean() < 0.15  # and not the whole frame
    moved = LeavesTruth(**{**truth.__dict__, "centers": truth.centers.copy()})
    moved.centers[sequence, first + 2] += 3.0  # another next frame, the same context: the same weights
    assert (lens_region(moved, 2, windows) == region).all()

    summary = train(config(small_data, tmp_path / "w", max_steps=2, lens_weight=10.0))
    assert summary["steps"] == 2 and json.loads((tmp_path / "w" / "config.json").read_text())["lens_weight"] == 10.0
    # with the symmetries of the square the weights turn with their windows (test_augment.py)
    assert train(config(small_data, tmp_path / "a", max_steps=2, lens_weight=10.0, augment=True))["steps"] == 2
    with pytest.raises(NextframeError, match="needs --tau 2 or more"):
        config(small_data, tmp_path / "x", lens_weight=10.0, tau=1)
    with pytest.raises(NextframeError, match="drop it for --method deterministic"):
        train(config(small_data, tmp_path / "x", max_steps=1, lens_weight=10.0, method="deterministic"))


def test_weighted_loss_with_unit_weights_is_the_plain_loss():
    loss, net = BlindDenoisingLoss(), lambda noisy, context: 0.5 * noisy
    clean, context = torch.rand(4, 1, 8, 8), torch.rand(4, 2, 8, 8)
    plain = loss(net, context, clean, torch.Generator().manual_seed(3))
    ones = loss(net, context, clean, torch.Generator().manual_seed(3), weight=torch.ones(4, 1, 8, 8))
    twice = loss(net, context, clean, torch.Generator().manual_seed(3), weight=torch.full((4, 1, 8, 8), 2.0))
    assert ones == plain and twice == pytest.approx(2 * plain)


def test_sigma_weighting_weighs_each_example_by_its_noise_level(small_data, tmp_path):
    net = lambda noisy, context: 0.5 * noisy  # noqa: E731  (error grows with sigma: the weights must show)
    clean, context = torch.rand(64, 1, 8, 8), torch.rand(64, 2, 8, 8)
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    plain, weighted = BlindDenoisingLoss(), BlindDenoisingLoss(sigma_weighting=0.05)
    # the same noise as the plain loss (the weight draws nothing), so s0 = 0 is exactly the paper's loss
    assert torch.equal(plain.noisy_copy(clean, g()), weighted.noisy_copy(clean, g()))
    sigma = plain.noise_levels(64, g()).view(-1, 1, 1, 1)
    error = (net(plain.noisy_copy(clean, g()), context) - clean).square()
    w = 1 / (sigma + 0.05)
    assert float(weighted(net, context, clean, g())) == pytest.approx(float((error * w / w.mean()).mean()), rel=1e-5)
    assert float(weighted(net, context, clean, g())) < float(plain(net, context, clean, g()))  # low noise counts more
    one_level = BlindDenoisingLoss(sigma_max=0.3, noise_power=1e-9, sigma_weighting=0.05)  # every sigma 0.3
    same = BlindDenoisingLoss(sigma_max=0.3, noise_power=1e-9)
    assert float(one_level(net, context, clean, g())) == pytest.approx(float(same(net, context, clean, g())), rel=1e-6)
    summary = train(config(small_data, tmp_path / "w", max_steps=2, options={"sigma_weighting": 0.05}))
    assert summary["steps"] == 2
    assert json.loads((tmp_path / "w" / "config.json").read_text())["options"]["sigma_weighting"] == 0.05


def test_sigma_max_reaches_the_loss_and_is_checked(small_data, tmp_path, capsys):
    from nextframe.cli.main import main

    levels = BlindDenoisingLoss(4.0).noise_levels(10000, torch.Generator().manual_seed(0))
    assert 3.9 < float(levels.max()) <= 4.0 and abs(float(levels.mean()) - 4.0 / 3) < 0.05  # E[u^2] = 1/3
    assert (
        main(
            [
                "train",
                "--data",
                str(small_data),
                "--out",
                str(tmp_path / "s"),
                "--tau",
                "2",
                "--width",
                "4",
                "--batch-size",
                "4",
                "--max-steps",
                "1",
                "--sigma-max",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "s" / "config.json").read_text())["options"]["sigma_max"] == 4.0
    assert (
        main(
            [
                "train",
                "--data",
                str(small_data),
                "--out",
                str(tmp_path / "u"),
                "--tau",
                "2",
                "--width",
                "4",
                "--batch-size",
                "4",
                "--max-steps",
                "1",
                "--tail-share",
                "0.2",
                "--augment",
                "--no-progress",
            ]
        )
        == 0
    )
    saved = json.loads((tmp_path / "u" / "config.json").read_text())
    assert (saved["options"]["tail_share"], saved["options"]["tail_sigma"], saved["augment"]) == (0.2, 4.0, True)
    assert (
        main(
            [
                "train",
                "--data",
                str(small_data),
                "--out",
                str(tmp_path / "v"),
                "--tail-share",
                "0.2",
                "--tail-sigma",
                "0.5",
            ]
        )
        == 2
    )
    assert "--tail-sigma 0.5 must exceed --sigma-max 1" in capsys.readouterr().err
    assert main(["train", "--data", str(small_data), "--out", str(tmp_path / "t"), "--sigma-max", "-1"]) == 2
    assert "--sigma-max -1" in capsys.readouterr().err


@pytest.mark.parametrize("norm, optimum", [("mse", 0.3), ("l1", 0.0)])
def test_point_loss_learns_the_mean_or_the_median(norm, optimum):
    # a "network" that predicts one learnable grey for every pixel, against futures that are black 70% of the time
    # and white 30%: MSE's optimum is the mean 0.3, L1's the median 0 (the point forecast with the lowest CRPS)
    from nextframe.methods.deterministic import PredictionLoss

    grey = torch.nn.Parameter(torch.tensor(0.5))
    net = lambda noisy, context: grey.expand(context.shape[0], 1, 4, 4)  # noqa: E731
    clean = (torch.arange(100) >= 70).float().view(100, 1, 1, 1).expand(100, 1, 4, 4)
    optimiser = torch.optim.SGD([grey], lr=0.05)
    loss = PredictionLoss(1, norm)
    for _ in range(400):
        optimiser.zero_grad()
        loss(net, torch.zeros(100, 2, 4, 4), clean, None).backward()
        optimiser.step()
    assert grey.item() == pytest.approx(optimum, abs=0.03)
    with pytest.raises(ValueError, match="mse' or 'l1"):
        PredictionLoss(1, "huber")


def test_a_residual_denoiser_trains_and_loads_back_as_residual(leaves40, tmp_path):
    import nextframe

    config = TrainConfig(
        data=str(leaves40),
        out=str(tmp_path / "run"),
        tau=2,
        width=8,
        options={"denoiser_output": "residual"},
        max_steps=3,
        examples_per_epoch=16,
        heldout_examples=8,
        progress=False,
    )
    train(config)
    predictor = nextframe.load(str(tmp_path / "run"))
    assert predictor.network.config.output == "residual"
    with pytest.raises(NextframeError, match="--denoiser-output"):
        train(TrainConfig(**{**config.__dict__, "out": str(tmp_path / "r2"), "options": {"denoiser_output": "x"}}))


def test_init_from_weights_saved_before_a_network_setting_existed(leaves40, tmp_path):
    # weights written before UNetConfig.output existed lack the key, which means the default; comparing the raw
    # dicts refused every --init from such weights (a stage lane failed on the shipped floor's). Such a file, made
    # from the shipped floor's weights with the key taken out:
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(model_file("leaves-tau2-pred")), framework="pt") as fh:
        tensors, meta = {k: fh.get_tensor(k) for k in fh.keys()}, dict(fh.metadata())
    network = json.loads(meta["network"])
    network.pop("output", None)
    meta["network"] = json.dumps(network)
    save_file(tensors, str(tmp_path / "old.safetensors"), metadata=meta)
    assert "output" not in read_metadata(tmp_path / "old.safetensors")["network"]
    config = TrainConfig(
        data=str(leaves40),
        out=str(tmp_path / "run"),
        method="deterministic",
        tau=2,
        width=32,
        init=str(tmp_path / "old.safetensors"),
        max_steps=1,
        examples_per_epoch=16,
        heldout_examples=8,
        progress=False,
    )
    assert train(config)["steps"] == 1


def test_written_weights_hold_norm_statistics_of_many_batches(small_data, tmp_path):
    """The weights written carry the mean statistics over --norm-batches training batches (setting them again from
    the same batches changes nothing), not the running average of the last steps; scripts/recalibrate_norms.py sets
    them the same way for weights written without."""
    import subprocess
    import sys
    from pathlib import Path

    from nextframe.methods import method
    from nextframe.training.trainer import calibrate_norms

    runs = {n: config(small_data, tmp_path / f"n{n}", max_steps=3, norm_batches=n, tau=1) for n in (0, 3)}
    for cfg in runs.values():
        train(cfg)
    plain, calibrated = (load(tmp_path / f"n{n}" / "model.safetensors").network for n in runs)
    stds = [(n, b) for n, b in calibrated.state_dict().items() if n.endswith("running_std")]
    assert stds and not all(torch.equal(b, plain.state_dict()[n]) for n, b in stds)  # same weights, other stats
    clips = ClipDataset.open(small_data).clips("train")
    spec = method("score").training_method(runs[3], clips.shape[2:])
    again = load(tmp_path / "n3" / "model.safetensors").network
    assert calibrate_norms(again, spec.loss, Windows(clips, 1, 1), runs[3], "cpu") == len(stds)
    for name, value in stds:
        torch.testing.assert_close(again.state_dict()[name], value)

    script = Path(__file__).resolve().parents[1] / "scripts" / "recalibrate_norms.py"
    out = tmp_path / "recal.safetensors"
    args = [sys.executable, script, tmp_path / "n0", "--data", small_data, "--out", out, "--batches", "3"]
    done = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert read_metadata(out)["steps"] == 3  # the training record travels with the weights
    for name, value in stds:
        torch.testing.assert_close(load(out).network.state_dict()[name], value)


def test_the_score_method_owns_its_training_noise(small_data, tmp_path, capsys):
    """--sigma-max and the tail are the score method's settings: other methods neither show nor take them, and a
    config saved when they sat beside every method's reads back with them in a score run's options."""
    from nextframe.cli.main import main

    def help_of(*argv) -> str:
        try:
            main(["train", *argv, "--help"])
        except SystemExit:  # argparse's way out of --help, where main lets it through
            pass
        return capsys.readouterr().out

    assert "--sigma-max" not in help_of("--method", "mcvd") and "--sigma-max" not in help_of(
        "--method", "deterministic"
    )
    assert "--sigma-max" in help_of()  # the default method, score
    code = main(["train", "--data", str(small_data), "--out", str(tmp_path / "d"), "--method", "deterministic",
                 "--sigma-max", "2"])  # fmt: skip
    assert code == 2 and "--sigma-max is a setting of --method score" in capsys.readouterr().err
    old = {"data": "d", "method": "score", "sigma_max": 2.0, "noise_power": 2.0, "tail_share": 0.0, "tail_sigma": 0.0}
    assert TrainConfig.from_dict(old).options == {"sigma_max": 2.0, "noise_power": 2.0, "tail_share": 0.0}
    assert TrainConfig.from_dict({**old, "method": "deterministic"}).options == {}
    assert TrainConfig.from_dict({**old, "options": {"sigma_max": 3.0}}).options["sigma_max"] == 3.0
