"""Writing files so that nothing is half-written: a temporary file beside the destination, renamed when complete;
output folders refused before any work when they cannot be made. The bottom of the house: everything that writes a
result (weights, checkpoints, frames, figures, reports) uses these, and they use nothing of nextframe's but its error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from nextframe.errors import NextframeError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def readable_mode(path: str | Path, folder: bool = False) -> None:
    """Give a file or folder made by mkstemp/mkdtemp (mode 0600/0700) the modes `open`/`mkdir` would have given it,
    so that results are readable by the group and others as any other file the user writes."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def check_out_dir(path: str | Path, flag: str = "--out") -> Path:
    """Refuse an output folder that cannot be made before any work starts: empty, an existing file, under a file, or
    in a folder that cannot be written. Creates nothing."""
    if not str(path).strip():
        raise NextframeError(f"{flag} is empty; name the folder to write into")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NextframeError(f"{flag} {path} is an existing file; choose a folder name")
    ancestor = path
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise NextframeError(f"{flag} {path} lies under {ancestor}, which is a file; choose another folder")
    try:  # os.access says yes to root on a read-only file system; a real write says the truth
        fd, probe = tempfile.mkstemp(prefix=".nextframe-write-check.", dir=ancestor)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise NextframeError(
            f"{flag} {path}: cannot write in {ancestor} ({err.strerror}); choose a folder you can write to"
        ) from None
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block finishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        readable_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | Path, value) -> Path:
    """`value` as indented JSON, NumPy scalars and arrays as plain numbers and lists (a report built from NumPy
    arguments failed on a numpy.bool_ after ten minutes of sampling)."""
    import json

    def plain(o):
        if isinstance(o, (np.generic, np.ndarray)):
            return o.tolist()
        raise TypeError(f"{type(o).__name__} is not JSON serializable")

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=2, default=plain))
    return Path(path)
