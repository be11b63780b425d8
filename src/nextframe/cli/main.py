"""The `nextframe` command: the parser and the one way every command ends (one line on stderr and exit code 2 for bad
input). Each command is its own module (`cli/data.py`, `train.py`, `sample.py`, `evaluate.py`, `experiments.py`,
`benchmark.py`, `demo.py`), imported only when it is the command given, so `nextframe --help` imports none of them."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import warnings

from nextframe.cli.options import COMMAND_HELP, MAX_SAMPLES, sampler_knobs
from nextframe.errors import NextframeError


class OneLineParser(argparse.ArgumentParser):
    """argparse's usage errors as one line naming the problem and where the help is, exit code 2, like every other
    refusal (argparse prints the usage block first)."""

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unrecognized flag is reported against the subcommand it was given to (argparse
        reports it from the top, whose help does not list the subcommand's flags)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            words = [getattr(parsed, k, None) for k in ("command", "dataset", "experiment")]  # the chosen (sub)command
            prog = " ".join(["nextframe", *[w for w in words if isinstance(w, str)]])
            command = prog.removeprefix("nextframe").strip()
            explain = getattr(parsed, "explain_extras", None)  # a command may know why (another method's flag)
            why = (explain(parsed, extras) if explain else None) or f"unrecognized arguments: {' '.join(extras)}"
            print(f"nextframe: error: {command + ': ' if command else ''}{why}; see `{prog} --help`", file=sys.stderr)
            sys.exit(2)
        return parsed

    def error(self, message):
        command = self.prog.removeprefix("nextframe").strip()
        print(
            f"nextframe: error: {command + ': ' if command else ''}{message}; see `{self.prog} --help`", file=sys.stderr
        )
        sys.exit(2)


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that shows every option's default, unless its text already says it or there is none to show."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS) and action.option_strings and not action.required
        if shown and "default" not in text:
            default = (
                " ".join(map(str, action.default)) if isinstance(action.default, (list, tuple)) else action.default
            )
            text += f" (default {default})"
        return text


def subcommands(parser: argparse.ArgumentParser):
    """Every parser below `parser`, depth first (for the formatter and the test that every option is explained)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield child
                yield from subcommands(child)


COMMANDS = {  # name -> the module that adds its flags (`add_<name>`); imported only when it is the command
    "data": "nextframe.cli.data",
    "train": "nextframe.cli.train",
    "sample": "nextframe.cli.sample",
    "evaluate": "nextframe.cli.evaluate",
    "experiment": "nextframe.cli.experiments",
    "benchmark": "nextframe.cli.benchmark",
    "demo": "nextframe.cli.demo",
}


def build_parser(only: str | None = None, argv=None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` a command's name just that command's flags (the others listed by
    name and help): `nextframe --help` then answers without importing torch, and `nextframe sample` without
    building the flags of every method's training settings."""
    parser = OneLineParser(
        prog="nextframe", description="Probabilistic video prediction by score-based conditional density estimation."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            add = getattr(importlib.import_module(module), f"add_{name}")
            add(sub, argv) if "argv" in inspect.signature(add).parameters else add(sub)  # train: --method's flags
        else:
            sub.add_parser(name, help=COMMAND_HELP[name])  # listed; its flags are built when it is the command
    for child in subcommands(parser):
        child.formatter_class = DefaultsFormatter
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"nextframe: warning: {message}\n"


def check_common(args) -> None:
    """Checks shared by every command, before any work: the output folder, the seed, the sample count and the
    sampler's settings (each command checks its own options too)."""
    from nextframe.files import check_out_dir

    if getattr(args, "out", None) is not None:
        check_out_dir(args.out)
    if getattr(args, "seed", 0) < 0:
        raise NextframeError(f"--seed {args.seed}: seeds are whole numbers from 0")
    if not 1 <= getattr(args, "samples", 1) <= MAX_SAMPLES:
        raise NextframeError(
            f"--samples {args.samples}: must lie between 1 and {MAX_SAMPLES:,} (for more, run again with another --seed)"
        )
    if hasattr(args, "paper_sampler"):
        sampler_knobs(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    command = next((a for a in argv if not a.startswith("-")), None)  # the first word names the command
    try:
        args = build_parser(command if command in COMMANDS else "", argv).parse_args(argv)
    except (
        SystemExit
    ) as done:  # a usage error (2, its one line printed) or --help (0): a code for callers in process too
        return done.code if isinstance(done.code, int) else 2
    warnings.formatwarning = _one_line_warning
    try:
        check_common(args)
        code = args.run(args)
    except NextframeError as err:
        print(f"nextframe: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nextframe: interrupted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
