"""Write the model cards of the five shipped DAVIS models (src/nextframe/models/davis-*.md).

Run from the repository root after the training stages and `nextframe experiment psnr-curves --data runs/davis32
--out docs/results/davis`:

    python docs/results/davis/make_cards.py

Stage 1 ran in an earlier session (its run folders are gone), so its facts are written here; stage 2 is read from
runs/davis-<name>-ft/, -ft2/, ... (config.json, log.csv) and the held-out table from docs/results/davis/psnr_curves.json.
"""
import csv
import json
from pathlib import Path

MODELS = {  # name: (tau, prediction only, psnr-curves key)
    "davis-tau0": (0, False, "tau=0"),
    "davis-tau1": (1, False, "tau=1"),
    "davis-tau2": (2, False, "tau=2"),
    "davis-tau3": (3, False, "tau=3"),
    "davis-pred": (2, True, "prediction only (tau=2)"),
}
STAGE1 = {  # name: (minutes of training steps, held-out loss per epoch), from the stage-1 cards of commit aa9790f
    "davis-tau0": (8.8, "0.00614, 0.00573, 0.00638, 0.00550, 0.00502, 0.00500"),
    "davis-tau1": (8.9, "0.00570, 0.00468, 0.00401, 0.00353, 0.00340, 0.00336"),
    "davis-tau2": (24.2, "0.00462, 0.00406, 0.00322, 0.00297, 0.00283, 0.00281"),
    "davis-tau3": (9.0, "0.00528, 0.00536, 0.00400, 0.00323, 0.00303, 0.00305"),
    "davis-pred": (9.3, "0.00744, 0.00625, 0.00498, 0.00522, 0.00433, 0.00426"),
}
NOTES = {  # runs that did not train alone on the machine
    "davis-pred": " (stage 2 beside measurements)",
    "davis-tau2": " (stage 1 beside measurements; stage 2 as runs/ft-tau2-s1 with OMP_NUM_THREADS=1 beside a second\n"
                  "  run, runs/ft-tau2-s4 with --sigma-max 4: see docs/design.md)",
}
HARDWARE = "2 cores of an Intel Xeon CPU (avx512), no GPU, torch 2.13.0 (CPU build)"


def later_stages(name: str) -> list[tuple[Path, dict, list[dict]]]:
    """The fine-tuning stages that exist: runs/<name>-ft, runs/<name>-ft2, ... (config, per-epoch log)."""
    stages, k = [], 1
    while (run := Path("runs") / (f"{name}-ft" + (str(k) if k > 1 else ""))).is_dir():
        stages.append((run, json.loads((run / "config.json").read_text()), list(csv.DictReader((run / "log.csv").open()))))
        k += 1
    return stages


def card(name: str, curves: dict) -> str:
    tau, prediction_only, key = MODELS[name]
    flags = f"--tau {tau}" + (" --prediction-only" if prediction_only else "")
    stage1_minutes, stage1_losses = STAGE1[name]
    commands = [f"nextframe train --data runs/davis32 --out runs/{name} {flags} --width 32 --batch-size 32 --lr 0.001 \\\n"
                "  --lr-schedule cosine --max-steps 6000 --examples-per-epoch 32000 --heldout-examples 512 --no-progress"]
    steps, minutes, losses, previous = [6000], [stage1_minutes], [f"stage 1: {stage1_losses}"], Path("runs") / name
    for k, (run, config, log) in enumerate(later_stages(name), start=2):
        sigma = f" --sigma-max {config['sigma_max']:g}" if config["sigma_max"] != 1 else ""
        commands.append(f"nextframe train --data runs/davis32 --out {run} {flags} --init {previous}/model.safetensors{sigma} \\\n"
                        f"  --width 32 --batch-size 32 --lr {config['lr']:g} --lr-schedule cosine --max-steps {config['max_steps']} "
                        "--examples-per-epoch 32000 \\\n  --heldout-examples 512 --no-progress")
        steps.append(config["max_steps"])
        minutes.append(float(log[-1]["minutes"]))
        losses.append(f"stage {k}: " + ", ".join(f"{float(r['heldout_loss']):.5f}" for r in log))
        previous = run
    commands.append(f"cp {previous}/model.safetensors src/nextframe/models/{name}.safetensors")
    if prediction_only:
        what = (f"The prediction-only network: it sees the {tau} past frames and no noisy frame, so its output psnr is the "
                "same at every noise level")
    else:
        what = f"A blind conditional denoiser of the next frame given {tau} past frame(s)" + (
            " (no past: a single-image denoiser)" if tau == 0 else "")
    curve = curves[key]
    # curve["input_psnr"] holds the measured input PSNRs (within 0.01 dB of the requested ones)
    table = "\n".join(f"| {round(i)} | {o:.2f} |" for i, o in zip(curve["input_psnr"], curve["output_psnr"]) if round(i) in (-10, 0, 10, 20, 30, 40))
    command_lines = "\n".join(commands)
    loss_lines = "\n".join(f"  - {line}" for line in losses)
    note = NOTES.get(name, "")
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
compare memory lengths and not training. Noise std sigma = u^2, u ~ U[0, 1] (App. E).

```bash
{command_lines}
```

- steps: {" + ".join(f"{s:,}" for s in steps)} of 32 windows, {sum(steps) * 32:,} examples
- wall time: {" + ".join(f"{m:.1f}" for m in minutes)} minutes of training steps{note}
- hardware: {HARDWARE}
- held-out loss per epoch of 32,000 examples (512 test windows):
{loss_lines}
- why this size: all five networks had to train on the 2-core CPU with the same budget; 6,000 steps at width 32 took
  9 (stage 1) to 14 (stage 2) minutes on this CPU with nothing else running. The paper trains width 64 for 1,000 epochs; these are short runs, and their curves
  show it (docs/results/davis and the notes in docs/design.md).

## Held-out denoising

`nextframe experiment psnr-curves --data runs/davis32 --out docs/results/davis` (512 test windows, targets frames 3-10
of each clip for every model, seed 0):

| input PSNR (dB) | output PSNR (dB) |
|---|---|
{table}
"""


def main() -> None:
    report = json.loads(Path("docs/results/davis/psnr_curves.json").read_text())
    for name in MODELS:
        path = Path("src/nextframe/models") / f"{name}.md"
        path.write_text(card(name, report["curves"]))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
