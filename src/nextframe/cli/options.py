"""Command-line flags generated from a settings dataclass: each field becomes `--field-name` with the field's type,
choices and help (its `metadata`), so the defaults and the checks stay in the dataclass alone.

A flag's default is left unset (`argparse.SUPPRESS`), so that `given(args, cls)` returns only what the user typed and
a preset (such as the paper's sampler) can sit under it: `replace(preset, **given(args, cls))`.
"""

from __future__ import annotations

import argparse
import typing
from dataclasses import MISSING, fields

from nextframe.errors import NextframeError

MAX_SAMPLES = 100_000  # per run: more would take days on a CPU; runs with other seeds add up

COMMAND_HELP = {  # one line per command: `nextframe --help` lists these without building the commands' flags
    "data": "make datasets",
    "train": "train a method on a dataset (App. E for the score denoiser); resumes from --out",
    "sample": "sample probable next frames given past frames",
    "evaluate": "held-out denoising PSNR of a model at fixed input PSNRs",
    "experiment": "the paper's experiments (3.1: occlusions on Moving Leaves; 3.2: natural video)",
    "benchmark": "every method on the same test clips, samples and seeds: CRPS, PSNR/SSIM best and mean of K, FVD, "
    "cost, occlusion decisions; tables, plots and an HTML report",
    "demo": "the main job: section 3.1 of the paper with the shipped model, about 1 CPU minute",
}


def _parse_type(hint):
    """The argparse type of a field's annotation: int, float, str; `X | None` as X; `tuple[X, ...]` as X."""
    args = [a for a in typing.get_args(hint) if a is not type(None) and a is not Ellipsis]
    return args[0] if args else hint


def add_dataclass_args(parser, cls, defaults=None, skip=(), choices=None) -> None:
    """One flag per field of dataclass `cls`; the help shows the default of `defaults` (an instance; default `cls()`).
    A bool field that defaults to True becomes `--no-field-name`; `choices` overrides a field's choices by name (for
    lists the dataclass's layer cannot know, such as the registered methods)."""
    hints = typing.get_type_hints(cls)
    defaults = defaults if defaults is not None else cls()
    for f in fields(cls):
        if f.name in skip or f.metadata.get("derived") or f.default is MISSING and f.default_factory is MISSING:
            continue
        flag, default = "--" + f.name.replace("_", "-"), getattr(defaults, f.name)
        text = f.metadata.get("help", "")
        kind = _parse_type(hints[f.name])
        if kind is bool:
            if default:
                no = "--no-" + f.name.replace("_", "-")
                parser.add_argument(
                    no,
                    dest=f.name,
                    action="store_false",
                    default=argparse.SUPPRESS,
                    help=f.metadata.get("off_help", f"turn off: {text}"),
                )
            else:
                parser.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=text)
            continue
        shown = "none" if default is None else default
        required = bool(f.metadata.get("required"))
        many = typing.get_origin(hints[f.name]) is tuple  # several values: --scales 2 4 8 (or 2,4,8: `ints_of`)
        if many:
            shown = ",".join(map(str, default)) or "none"
        parser.add_argument(
            flag,
            type=str if many else kind,
            nargs="+" if many else None,
            choices=(choices or {}).get(f.name, f.metadata.get("choices")),
            default=argparse.SUPPRESS,
            required=required,
            help=text if required or "default" in text else f"{text} (default {shown})",
        )


def given(args, cls) -> dict:
    """The fields of `cls` that were set on the command line (a derived field has no flag of its own: a flag of that
    name belongs to another dataclass)."""
    return {
        f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name) and not f.metadata.get("derived")
    }


def add_sampler_args(p) -> None:
    """The sampler's settings (`SamplerSettings`), shared by every command that samples, and the paper's preset."""
    from nextframe.sampling.settings import SamplerSettings

    add_dataclass_args(p, SamplerSettings)
    p.add_argument(
        "--paper-sampler",
        action="store_true",
        help="start from the paper's sampler (ramp from h0 0.01, sigma0 1, beta 0.5) instead of the library's "
        "defaults; flags given beside it still apply (docs/results/sampler-networks)",
    )


def sampler_settings(args):
    """The sampler settings a command was given: the defaults, or the paper's with --paper-sampler, under the flags
    the user typed. Raises NextframeError for settings that cannot give a sample."""
    from dataclasses import replace

    from nextframe.sampling.settings import PAPER, SamplerSettings

    return replace(
        PAPER if getattr(args, "paper_sampler", False) else SamplerSettings(), **given(args, SamplerSettings)
    )


def sampler_knobs(args) -> dict:
    """`sampler_settings` as keywords of `sample`, `rollout` and `one_step`."""
    return sampler_settings(args).knobs()


def load_predictor(args):
    """The predictor of --model under the sampler settings the command was given: the score-based method samples
    with them; any other method refuses them, since it samples its own way."""
    from nextframe.methods import load
    from nextframe.sampling.settings import SamplerSettings

    predictor = load(args.model)
    if predictor.method == "score":
        return predictor.with_sampler(**sampler_knobs(args))
    typed = [f"--{k.replace('_', '-')}" for k in given(args, SamplerSettings)]
    if typed or getattr(args, "paper_sampler", False):
        raise NextframeError(
            f"{' '.join(typed) or '--paper-sampler'}: settings of the score-based sampler; a {predictor.method} "
            "model samples its own way"
        )
    return predictor


def sampler_defaults() -> dict:
    """The sampler's default settings as keywords (for callers that build the arguments themselves)."""
    from nextframe.sampling.settings import SamplerSettings

    return SamplerSettings().knobs()
