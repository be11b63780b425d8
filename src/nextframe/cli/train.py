"""`nextframe train`: flags generated from the training settings and each method's own (`training.config.CONCERNS`,
a method's `Settings`); the loop is `training.trainer.train`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nextframe.cli.options import COMMAND_HELP, add_dataclass_args, given
from nextframe.errors import NextframeError


def add_train(sub) -> None:
    """The flags are generated from the settings dataclasses (`training.config.CONCERNS`), one group per concern."""
    from nextframe.methods import METHODS, method
    from nextframe.training.config import CONCERNS

    p = sub.add_parser("train", help=COMMAND_HELP["train"])
    for concern in CONCERNS:
        group = p.add_argument_group(concern.__name__.removesuffix("Settings").lower())
        add_dataclass_args(group, concern, choices={"method": list(METHODS)})
    added = {a.dest for a in p._actions}
    for name in METHODS:  # each method's own settings (its Settings dataclass), a flag once however many share it
        own = getattr(method(name), "Settings", None)
        if own is not None:
            group = p.add_argument_group(f"{name} (with --method {name})")
            add_dataclass_args(group, own, skip=added)
            added |= set(own.__dataclass_fields__)
    p.add_argument(
        "--prediction-only",
        action="store_true",
        help="the same as --method deterministic: the network that sees only the past frames",
    )
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out and start over")
    p.set_defaults(run=run_train)


def run_train(args) -> None:
    from nextframe.methods import METHODS, method
    from nextframe.training.config import TrainConfig
    from nextframe.training.trainer import train

    config = TrainConfig(**given(args, TrainConfig))
    if args.prediction_only:
        config = replace(config, method="deterministic")
    own = getattr(method(config.method), "Settings", None)
    options = given(args, own) if own is not None else {}
    for name in METHODS:  # a flag of another method is a mistake, not something to ignore
        other = getattr(method(name), "Settings", None)
        for key in set(given(args, other) if other is not None else {}) - set(options):
            raise NextframeError(f"--{key.replace('_', '-')} is a setting of --method {name}, not {config.method}")
    config = replace(config, options=options)
    summary = train(config, method(config.method), fresh=args.fresh)
    if summary["stopped"] == "interrupted":
        raise KeyboardInterrupt  # the state is saved; exit 130 like any interrupted command
    print(
        f"{summary['stopped']}: {summary['steps']} steps, {summary['examples']} examples, {summary['minutes']:.1f} min; "
        f"weights in {Path(args.out) / 'model.safetensors'}"
    )
