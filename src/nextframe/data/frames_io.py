"""Reading frames from `.npy`, images, GIF and video files, and writing PNG grids, GIFs and arrays atomically.

Frames inside nextframe are float32 arrays (frames, channels, H, W) with values in [0, 1]. Everything written goes
to a temporary file in the destination folder first and is renamed when complete, so a failure leaves no partial file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from nextframe.errors import NextframeError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm"}


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block finishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def to_float_frames(array: np.ndarray, source: str, channels: int | None = None) -> np.ndarray:
    """Validate and convert an array to float32 (frames, channels, H, W) in [0, 1].

    uint8 arrays are scaled by 1/255; float arrays must already lie in [0, 1]. A 3-D array is (frames, H, W).
    """
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    elif np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
        if not np.isfinite(array).all():
            raise NextframeError(f"{source} contains NaN or infinite pixels; clean the frames before passing them")
        lo, hi = float(array.min()), float(array.max())
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise NextframeError(f"{source} has pixels in [{lo:.3g}, {hi:.3g}], outside [0, 1]; rescale float frames to [0, 1] (or pass uint8)")
        array = np.clip(array, 0.0, 1.0)
    else:
        raise NextframeError(f"{source} has dtype {array.dtype}; pass uint8 in [0, 255] or float in [0, 1]")
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise NextframeError(f"{source} has shape {array.shape}; expected (frames, H, W) or (frames, channels, H, W)")
    if channels is not None and array.shape[1] != channels:
        raise NextframeError(f"{source} has {array.shape[1]} channels but the model takes {channels}; convert the frames first")
    return array


def _read_image(path: Path, channels: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError) as err:
        raise NextframeError(f"cannot read image {path} ({err.__class__.__name__}); check that it is a valid image file") from None
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def _read_animation(path: Path, channels: int) -> np.ndarray:
    import imageio.v3 as iio

    try:
        plugin = "pillow" if path.suffix.lower() == ".gif" else "pyav"
        frames = [np.asarray(f) for f in iio.imiter(path, plugin=plugin)]
    except Exception as err:  # decoders raise many types for a corrupt file
        raise NextframeError(f"cannot decode {path} ({err.__class__.__name__}: {str(err)[:80]}); check the file or convert it to PNG frames") from None
    if not frames:
        raise NextframeError(f"{path} holds no frames")
    out = []
    for frame in frames:
        if frame.ndim == 2:
            frame = np.repeat(frame[..., None], 3, axis=2)
        frame = frame[..., :3].astype(np.float32)
        if channels == 1:  # ITU-R 601 luma, as PIL's "L" conversion uses for still images
            out.append((frame @ np.array([0.299, 0.587, 0.114], np.float32))[None])
        else:
            out.append(frame.transpose(2, 0, 1))
    return np.clip(np.rint(np.stack(out)), 0, 255).astype(np.uint8)


def read_frames(paths: list[str | Path], channels: int = 1) -> np.ndarray:
    """Read frames from one `.npy`, GIF or video file, or from several image files (one frame each), in order."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise NextframeError("no context frames given; pass a .npy, GIF or video file, or one image per frame")
    for path in paths:
        if not path.is_file():
            raise NextframeError(f"{path} does not exist; check the path")
    suffixes = {p.suffix.lower() for p in paths}
    if len(paths) == 1 and paths[0].suffix.lower() == ".npy":
        try:
            array = np.load(paths[0], allow_pickle=False)
        except (ValueError, OSError) as err:
            raise NextframeError(f"cannot read {paths[0]} as a .npy array ({err}); check the file") from None
        return to_float_frames(array, str(paths[0]), channels)
    if len(paths) == 1 and (suffixes & (VIDEO_SUFFIXES | {".gif"})):
        return to_float_frames(_read_animation(paths[0], channels), str(paths[0]), channels)
    if suffixes <= IMAGE_SUFFIXES:
        images = [_read_image(p, channels) for p in paths]
        if len({im.shape for im in images}) > 1:
            raise NextframeError(f"the context images differ in size ({sorted({im.shape[1:] for im in images})}); pass frames of one size")
        return to_float_frames(np.stack(images), "context images", channels)
    raise NextframeError(
        f"cannot read context from {', '.join(map(str, paths))}: pass one .npy, GIF or video file ({', '.join(sorted(VIDEO_SUFFIXES))}), or image files ({', '.join(sorted(IMAGE_SUFFIXES))})"
    )


def to_uint8_image(frames: np.ndarray, scale: int = 1) -> np.ndarray:
    """(channels, H, W) float in [0, 1] -> (H*scale, W*scale[, 3]) uint8, nearest-neighbour enlarged for viewing."""
    frames = np.clip(np.asarray(frames, np.float32), 0.0, 1.0)
    image = (frames * 255.0 + 0.5).astype(np.uint8)
    image = image.repeat(scale, axis=-2).repeat(scale, axis=-1)
    return image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)


def grid_image(frames: np.ndarray, scale: int = 4, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """(rows, cols, channels, H, W) -> one uint8 image with `pad` pixels between cells."""
    rows, cols, c, h, w = frames.shape
    cell_h, cell_w = h * scale + pad, w * scale + pad
    canvas = np.full((c, rows * cell_h + pad, cols * cell_w + pad), pad_value, np.float32)
    big = np.asarray(frames, np.float32).repeat(scale, axis=-2).repeat(scale, axis=-1)
    for i in range(rows):
        for j in range(cols):
            canvas[:, pad + i * cell_h : pad + i * cell_h + h * scale, pad + j * cell_w : pad + j * cell_w + w * scale] = big[i, j]
    return to_uint8_image(canvas)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    return Path(path)


def write_grid(path: str | Path, frames: np.ndarray, scale: int = 4) -> Path:
    """Save (rows, cols, channels, H, W) frames as one PNG grid."""
    return write_png(path, grid_image(frames, scale))


def write_gif(path: str | Path, frames: np.ndarray, scale: int = 4, fps: float = 4.0) -> Path:
    """Save an animation of frames (time, channels, H, W), or (time, cols, channels, H, W) side by side."""
    import imageio.v3 as iio

    frames = np.asarray(frames)
    if frames.ndim == 4:
        frames = frames[:, None]
    images = [grid_image(f[None], scale) for f in frames]
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, np.stack(images), extension=".gif", plugin="pillow", duration=1000.0 / fps, loop=0)
    return Path(path)


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


def write_npy(path: str | Path, array: np.ndarray) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)
    return Path(path)
