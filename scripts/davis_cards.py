"""Write the model cards of the five shipped DAVIS models (src/nextframe/models/davis-*.md).

Run from the repository root after the training stages and `nextframe experiment psnr-curves --data runs/davis32
--out docs/results/davis`:

    python scripts/davis_cards.py

Stages 1 to 3 ran in earlier sessions (their run folders are gone), so their facts are written here; later stages
are read from runs/davis-<name>-ft3/, -ft4/, ... (config.json, log.csv) and the held-out table from
docs/results/davis/psnr_curves.json.
"""

import csv
import json
import re
from pathlib import Path

from nextframe.methods.score.training import COLUMNS as PSNR_COLUMNS
from nextframe.methods.score.training import LOG_PSNRS

MODELS = {  # name: (tau, prediction only, psnr-curves key)
    "davis-tau0": (0, False, "tau=0"),
    "davis-tau1": (1, False, "tau=1"),
    "davis-tau2": (2, False, "tau=2"),
    "davis-tau3": (3, False, "tau=3"),
    "davis-pred": (2, True, "prediction only (tau=2)"),
}
EARLIER = {  # name: [(steps, lr, minutes of training steps, held-out loss per epoch)] of the stages whose run folders
    # are gone (stage 1 from the cards of commit aa9790f, stages 2 and 3 from those of commit 400bbc4)
    "davis-tau0": [
        (6000, 1e-3, 8.8, "0.00614, 0.00573, 0.00638, 0.00550, 0.00502, 0.00500"),
        (6000, 5e-4, 14.1, "0.00519, 0.00495, 0.00511, 0.00475, 0.00475, 0.00474"),
        (3000, 5e-4, 7.8, "0.00512, 0.00474, 0.00469"),
    ],
    "davis-tau1": [
        (6000, 1e-3, 8.9, "0.00570, 0.00468, 0.00401, 0.00353, 0.00340, 0.00336"),
        (6000, 5e-4, 13.6, "0.00335, 0.00327, 0.00356, 0.00272, 0.00273, 0.00271"),
        (3000, 5e-4, 9.1, "0.00284, 0.00269, 0.00254"),
    ],
    "davis-tau2": [
        (6000, 1e-3, 24.2, "0.00462, 0.00406, 0.00322, 0.00297, 0.00283, 0.00281"),
        (6000, 5e-4, 26.0, "0.00346, 0.00282, 0.00251, 0.00226, 0.00218, 0.00217"),
        (3000, 5e-4, 7.4, "0.00232, 0.00220, 0.00204"),
    ],
    "davis-tau3": [
        (6000, 1e-3, 9.0, "0.00528, 0.00536, 0.00400, 0.00323, 0.00303, 0.00305"),
        (6000, 5e-4, 14.1, "0.00331, 0.00299, 0.00367, 0.00268, 0.00238, 0.00239"),
        (3000, 5e-4, 7.4, "0.00271, 0.00240, 0.00219"),
    ],
    "davis-pred": [
        (6000, 1e-3, 9.3, "0.00744, 0.00625, 0.00498, 0.00522, 0.00433, 0.00426"),
        (6000, 5e-4, 18.6, "0.00457, 0.00498, 0.00408, 0.00379, 0.00356, 0.00352"),
        (3000, 5e-4, 8.1, "0.00441, 0.00351, 0.00337"),
    ],
}
NOTES = {  # runs that did not train alone on the machine, or not under the name the commands give
    "davis-pred": " (stage 2 beside measurements; stage 8 beside a 1.4-minute diagnostic in its fifth epoch)",
    "davis-tau2": " (stage 1 beside measurements; stage 2 as runs/ft-tau2-s1 with OMP_NUM_THREADS=1 beside a second\n"
    "  run, runs/ft-tau2-s4 with --sigma-max 4: see docs/notebook.md; stage 4 as the trial\n"
    "  runs/trial-tau2-frozen-tail20 with --init davis-tau2, the same weights as runs/davis-tau2-ft2;\n"
    "  stage 5 as the trial runs/trial5-tau2-tail40 with --init davis-tau2, the same weights as\n"
    "  runs/davis-tau2-ft3; stages 6 and 7 partly beside measurements and the test suite)",
}
HARDWARE = "2 cores of an Intel Xeon CPU (avx512), no GPU, torch 2.13.0 (CPU build)"


def later_stages(name: str) -> list[tuple[Path, dict, list[dict]]]:
    """The stages after the written ones that exist: runs/<name>-ft3, runs/<name>-ft4, ... (config, per-epoch log)."""
    stages, k = [], len(EARLIER[name])
    while (run := Path("runs") / f"{name}-ft{k}").is_dir():
        config = json.loads((run / "config.json").read_text())
        config = {**config, **config.get("options", {})}  # the score method's noise: in its options since it owns it
        stages.append((run, config, list(csv.DictReader((run / "log.csv").open()))))
        k += 1
    return stages


LATER_FLAGS = (  # (config key, its `nextframe train` flags, what the card says it changed from App. E's recipe)
    (
        "tail_share",
        lambda c: f" --tail-share {c['tail_share']:g} --tail-sigma {c['tail_sigma']:g}",
        lambda c: (
            f"{c['tail_share']:.0%} of the examples take sigma log-uniform in [{c['sigma_max']:g}, {c['tail_sigma']:g}] "
            "(input PSNR down to -12 dB)"
        ),
    ),
    (
        "freeze_norm",
        lambda c: " --freeze-norm",
        lambda c: "the batch norms keep the running statistics of the weights they start from (`--freeze-norm`)",
    ),
    ("augment", lambda c: " --augment", lambda c: "windows are flipped or turned at random (`--augment`)"),
)


def departures(stages: list[tuple[Path, dict, list[dict]]], first: int) -> str:
    """ "; from stage k on, ..." for each later stage (numbered from `first`) that turned on a flag of LATER_FLAGS or
    changed what it says (a larger tail share, say)."""
    changed = {}  # stage: what it turned on or changed
    said = {}  # flag: what the card last said of it
    for k, (_, config, _) in enumerate(stages, start=first):
        for key, _, says in LATER_FLAGS:
            if config.get(key) and said.get(key) != says(config):
                said[key] = says(config)
                changed.setdefault(k, []).append(said[key])
    return "".join(f"; from stage {k} on, {' and '.join(texts)}" for k, texts in changed.items())


def train_command(out: str, flags: str, init: str, lr: float, steps: int, extra: str = "") -> str:
    start = f" --init {init}" if init else ""
    return (
        f"nextframe train --data runs/davis32 --out {out} {flags}{start} \\\n"
        f"  --width 32 --batch-size 32 --lr {lr:g} --lr-schedule cosine --max-steps {steps} --examples-per-epoch 32000 \\\n"
        f"  --heldout-examples 512{extra} --no-progress"
    )


def card(name: str, curves: dict) -> str:
    tau, prediction_only, key = MODELS[name]
    flags = f"--tau {tau}" + (" --prediction-only" if prediction_only else "")
    commands, steps, minutes, losses, previous = [], [], [], [], ""
    for k, (n, lr, m, loss) in enumerate(EARLIER[name], start=1):
        run = f"runs/{name}" + (f"-ft{k - 1 if k > 2 else ''}" if k > 1 else "")
        commands.append(train_command(run, flags, previous and f"{previous}/model.safetensors", lr, n))
        steps.append(n)
        minutes.append(m)
        losses.append(f"stage {k}: {loss}")
        previous = run
    stages = later_stages(name)
    previous_draws = (None, None)  # the written stages draw sigma = u^2 alone
    for k, (run, config, log) in enumerate(stages, start=len(EARLIER[name]) + 1):
        extra = f" --sigma-max {config['sigma_max']:g}" if config.get("sigma_max", 1) != 1 else ""
        extra += "".join(flags(config) for key, flags, _ in LATER_FLAGS if config.get(key))
        if prediction_only:  # the noise is the score method's setting, which the prediction-only network never drew
            extra = re.sub(r" --(sigma-max|tail-share|tail-sigma) \S+", "", extra)
        commands.append(
            train_command(str(run), flags, f"{previous}/model.safetensors", config["lr"], config["max_steps"], extra)
        )
        steps.append(config["max_steps"])
        minutes.append(float(log[-1]["minutes"]))
        draws = (config.get("tail_share"), config.get("tail_sigma"))
        tail = (
            f" (its noise draws differ from stage {k - 1}'s: not comparable with it)" if draws != previous_draws else ""
        )
        previous_draws = draws
        logged = [(level, log[-1][key]) for level, key in zip(LOG_PSNRS, PSNR_COLUMNS) if log[-1].get(key)]
        if logged:  # by runs since the training log carried them
            tail += (
                f"; last epoch's output PSNR {'/'.join(f'{float(v):.1f}' for _, v in logged)} dB at "
                f"{'/'.join(str(level) for level, _ in logged)} dB in"
            )
        losses.append(f"stage {k}: " + ", ".join(f"{float(r['heldout_loss']):.5f}" for r in log) + tail)
        previous = run
    commands.append(f"cp {previous}/model.safetensors src/nextframe/models/{name}.safetensors")
    if prediction_only:
        what = (
            f"The prediction-only network: it sees the {tau} past frames and no noisy frame, so its output psnr is the "
            "same at every noise level"
        )
    else:
        what = f"A blind conditional denoiser of the next frame given {tau} past frame(s)" + (
            " (no past: a single-image denoiser)" if tau == 0 else ""
        )
    curve = curves[key]
    # curve["input_psnr"] holds the measured input PSNRs (within 0.01 dB of the requested ones)
    table = "\n".join(
        f"| {round(i)} | {o:.2f} |"
        for i, o in zip(curve["input_psnr"], curve["output_psnr"])
        if round(i) in (-10, 0, 10, 20, 30, 40)
    )
    command_lines = "\n".join(commands)
    loss_lines = "\n".join(f"  - {line}" for line in losses)
    note = NOTES.get(name, "")
    changed = departures(stages, len(EARLIER[name]) + 1)
    return f"""# {name}

{what}; bias-free U-Net (App. C), width 32 (channels 32/64/128 over 3 scales),
grayscale 32x32, trained on DAVIS32-style clips of the 20 DAVIS 2016 validation sequences (section 3.2 of Fiquet &
Simoncelli 2024). One of five models compared by memory length in `nextframe experiment psnr-curves` (figure 6).

## Data

```bash
nextframe data video --source ../shared/data/davis2016-val --out runs/davis32 \\
  --test-sequences blackswan car-roundabout paragliding-launch soapbox
```

Clips of 11 frames, 32x32 crops at 21 locations (3 x 7 grid) and 3 scales (anti-aliased down-sampling by 2, 4, 8):
5,670 training clips from 16 sequences, 1,638 test clips from the 4 held-out sequences (never seen in training).

## Training

{len(steps)} stages, each a cosine schedule from a fresh optimiser; all five models got the same stages, so the curves
compare memory lengths and not training. Noise std sigma = u^2, u ~ U[0, 1] (App. E){changed}.

```bash
{command_lines}
```

- steps: {" + ".join(f"{s:,}" for s in steps)} of 32 windows, {sum(steps) * 32:,} examples
- wall time: {" + ".join(f"{m:.1f}" for m in minutes)} minutes of training steps{note}
- hardware: {HARDWARE}
- held-out loss per epoch of 32,000 examples (512 test windows):
{loss_lines}
- why this size: all five networks had to train on the 2-core CPU with the same budget; 6,000 steps at width 32 took
  9 (stage 1) to 14 (stage 2) minutes on this CPU with nothing else running, 5,000 frozen-norm steps about 8, 12,000
  about 20. The paper trains width 64 for 1,000 epochs; these are short runs, and their curves show it
  (docs/results/davis, the decisions in docs/design.md and the stages in docs/notebook.md).

## Held-out denoising

`nextframe experiment psnr-curves --data runs/davis32 --out docs/results/davis` (512 test windows, targets frames 3-10
of each clip for every model, seed 0):

| input PSNR (dB) | output PSNR (dB) |
|---|---|
{table}
"""


def main() -> None:
    import argparse

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    # Refuse rather than rewrite: without the run folders of the later stages the cards would silently lose them.
    missing = [f"runs/{name}-ft{len(EARLIER[name])}" for name in MODELS if not later_stages(name)]
    if missing:
        raise SystemExit(
            f"davis_cards: {', '.join(missing)} not found; the cards would lose every stage after the written ones. "
            "Run from the repository root with the stage runs in runs/; nothing written."
        )
    report = json.loads(Path("docs/results/davis/psnr_curves.json").read_text())
    for name in MODELS:
        path = Path("src/nextframe/models") / f"{name}.md"
        path.write_text(card(name, report["curves"]))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
