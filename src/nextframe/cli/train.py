"""`nextframe train`: flags generated from the training settings and each method's own (`training.config.CONCERNS`,
a method's `Settings`); the loop is `training.trainer.train`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nextframe.cli.options import COMMAND_HELP, add_dataclass_args, given
from nextframe.errors import NextframeError
from nextframe.settings import option_names


def method_named(argv) -> str:
    """The method a `nextframe train` command line asks for (`--method NAME`, `--method=NAME`, `--prediction-only`),
    or the default."""
    from nextframe.training.config import TrainConfig

    argv = list(argv or ())
    for i, word in enumerate(argv):
        if word == "--method" and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith("--method="):
            return word.split("=", 1)[1]
    return "deterministic" if "--prediction-only" in argv else TrainConfig.method


def add_train(sub, argv=None) -> None:
    """The flags are generated from the settings dataclasses (`training.config.CONCERNS`), one group per concern, and
    from the settings of the one method the command line names (`--method`; its `Settings`): two methods may then
    name a setting alike without sharing a flag. A method's setting may not shadow a training flag."""
    from nextframe.methods import METHODS, method
    from nextframe.training.config import CONCERNS

    p = sub.add_parser("train", help=COMMAND_HELP["train"])
    for concern in CONCERNS:
        group = p.add_argument_group(concern.__name__.removesuffix("Settings").lower())
        add_dataclass_args(group, concern, choices={"method": list(METHODS)})
    name = method_named(argv)
    own = getattr(method(name), "Settings", None) if name in METHODS else None
    if own is not None:
        taken = {a.dest for a in p._actions} & set(option_names(own))
        if taken:  # a programming error in the method's folder (tests/test_methods.py holds a toy that makes it)
            raise NextframeError(f"--method {name}'s settings {sorted(taken)} shadow training flags; rename them")
        others = ", ".join(m for m in METHODS if m != name)
        group = p.add_argument_group(
            f"{name} (the --method given; another's flags: --method NAME --help, NAME one of {others})"
        )
        add_dataclass_args(group, own)
    p.add_argument(
        "--prediction-only",
        action="store_true",
        help="the same as --method deterministic: the network that sees only the past frames",
    )
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out and start over")
    p.set_defaults(run=run_train, explain_extras=foreign_flags, flags_of=name)  # flags_of: whose flags were built


def foreign_flags(parsed, extras: list[str]) -> str | None:
    """Why flags the parser did not take were refused, when they belong to another method than the one given."""
    from nextframe.methods import METHODS, method

    given_method = parsed.flags_of
    for word in extras:
        key = word.split("=", 1)[0].removeprefix("--").replace("-", "_")
        for name in METHODS:
            own = getattr(method(name), "Settings", None)
            if name != given_method and own is not None and key in option_names(own):
                return f"{word.split('=', 1)[0]} is a setting of --method {name}, not {given_method}"
    return None


def run_train(args) -> None:
    from nextframe.methods import method
    from nextframe.training.config import TrainConfig
    from nextframe.training.trainer import train

    config = TrainConfig(**given(args, TrainConfig))
    if args.prediction_only:
        config = replace(config, method="deterministic")
    own = getattr(method(config.method), "Settings", None)
    config = replace(config, options=given(args, own) if own is not None else {})
    summary = train(config, method(config.method), fresh=args.fresh)
    if summary["stopped"] == "interrupted":
        raise KeyboardInterrupt  # the state is saved; exit 130 like any interrupted command
    print(
        f"{summary['stopped']}: {summary['steps']} steps, {summary['examples']} examples, {summary['minutes']:.1f} min; "
        f"weights in {Path(args.out) / 'model.safetensors'}"
    )
