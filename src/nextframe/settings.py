"""Settings fields that carry their own help, choices and bounds, so that one dataclass is the single source of truth:
its defaults, its checks (`check_fields`, run by the API and hence by the CLI), and its flags (`nextframe.cli.options`
generates `--field-name` from each field). A bound names the flag in its error, because most users meet it there."""

from __future__ import annotations

import math
from dataclasses import MISSING, field, fields

from nextframe.errors import NextframeError


def setting(
    default, help: str, *, low=None, high=None, positive: bool = False, choices=None, derived: bool = False, **extra
):
    """A dataclass field with its help text; `low`/`high` bound a number (inclusive), `positive` excludes 0,
    `choices` lists the allowed strings (and becomes the flag's choices). `derived`: set by the run, not by the user
    (a method's network config holds the frame shape and --tau/--width beside its own settings): no flag, no option.
    `loss_only=True` (in `extra`) marks a setting only the loss reads, which a stage from --init weights may change."""
    meta = {"help": help, "low": low, "high": high, "positive": positive, "choices": choices, "derived": derived}
    return field(default=default, metadata={**meta, **extra})


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_fields(obj) -> None:
    """Refuse a value of the wrong type or outside its field's bounds, naming the flag."""
    for f in fields(obj):
        meta, value = f.metadata, getattr(obj, f.name)
        if f.default is MISSING:  # a container (default_factory): its owner checks what it holds
            continue
        kind = type(f.default) if f.default is not None else None
        if f.default is None:  # optional: unchecked, or a bounded number when given (the sampler's late_beta)
            bounded = meta.get("positive") or meta.get("low") is not None or meta.get("high") is not None
            if value is None or not bounded:
                continue
            kind = float
        if kind is bool:
            if not isinstance(value, bool):
                raise NextframeError(f"{flag(f.name)} {value!r}: must be true or false")
            continue
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise NextframeError(f"{flag(f.name)} {value!r}: must be a whole number")
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise NextframeError(f"{flag(f.name)} {value!r}: must be a finite number")
        elif kind is str and not isinstance(value, str):
            raise NextframeError(f"{flag(f.name)} {value!r}: must be text")
        if meta.get("choices") and value not in meta["choices"]:
            raise NextframeError(f"{flag(f.name)} {value!r}: use one of {', '.join(meta['choices'])}")
        low, high = meta.get("low"), meta.get("high")
        if meta.get("positive") and not value > 0:
            raise NextframeError(f"{flag(f.name)} {value!r}: must be a positive number")
        if low is not None and value < low:
            whole = "a whole number" if kind is int else "a number"
            raise NextframeError(f"{flag(f.name)} {value!r}: must be {whole} of at least {low:g}")
        if high is not None and value > high:
            raise NextframeError(f"{flag(f.name)} {value!r}: must be at most {high:g}")


def ints_text(values: tuple[int, ...]) -> str:
    """Whole numbers as a flag writes them, comma-separated: (1, 2, 2) -> "1,2,2"."""
    return ",".join(map(str, values))


def ints_of(value, name: str) -> tuple[int, ...]:
    """A whole-number tuple setting from any of its spellings: (1, 2, 2), a JSON list, "1,2,2" (flags and settings
    saved before tuples), or a flag's several words ("1 2 2" or "1,2,2"; "" for none)."""
    if isinstance(value, str):
        return text_ints(value, name)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return text_ints(",".join(value), name)
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    raise NextframeError(f"{flag(name)} {value!r}: whole numbers separated by commas")


def text_ints(text: str, name: str) -> tuple[int, ...]:
    """The whole numbers of a comma-separated setting `name` (an empty one: none), refusing anything else."""
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise NextframeError(f"{flag(name)} {text!r}: whole numbers separated by commas") from None


def option_names(cls) -> list[str]:
    """The fields of a method's `Settings` that a user sets (flags, `TrainConfig.options`): all but the derived."""
    return [f.name for f in fields(cls) if not f.metadata.get("derived")]


def options_of(settings) -> dict:
    """A method's settings as `TrainConfig.options` saves them: every field a user sets, defaults included."""
    return {name: getattr(settings, name) for name in option_names(type(settings))}


def from_options(cls, options: dict, method: str):
    """A method's `Settings` from `TrainConfig.options`, refusing names it does not have (and the derived ones,
    which the run sets); the names a class renamed (its `RENAMED`, old -> new) are read as the new ones."""
    options = {getattr(cls, "RENAMED", {}).get(k, k): v for k, v in options.items()}
    known = option_names(cls)
    unknown = set(options) - set(known)
    if unknown:
        raise NextframeError(f"{', '.join(sorted(unknown))}: not settings of {method}; it has {', '.join(known)}")
    return cls(**options)


def check_frame_size(model: str, size: int, height: int, width: int) -> None:
    """A model trained on size x size frames refuses others, naming both."""
    if (height, width) != (size, size):
        raise NextframeError(
            f"this {model} model takes {size}x{size} frames, got {height}x{width}; resize the frames or train a model "
            "at this size"
        )
