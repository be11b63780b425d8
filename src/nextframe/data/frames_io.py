"""Reading frames from `.npy`, images, GIF and video files, and writing PNG grids, GIFs and arrays atomically
(through `nextframe.files.atomic_path`).

Frames inside nextframe are float32 arrays (frames, channels, H, W) with values in [0, 1]. Everything written goes
to a temporary file in the destination folder first and is renamed when complete, so a failure leaves no partial file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nextframe.errors import NextframeError
from nextframe.files import atomic_path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm"}


def to_float_frames(
    array: np.ndarray, source: str, channels: int | None = None, warn_colour: bool = True
) -> np.ndarray:
    """Validate and convert an array to float32 (frames, channels, H, W) in [0, 1].

    uint8 arrays are scaled by 1/255; float arrays must already lie in [0, 1]. A 3-D array is (frames, H, W).
    """
    if array.size == 0:
        raise NextframeError(f"{source} holds no frames (shape {array.shape}); pass a non-empty array")
    if array.ndim == 4 and array.shape[-1] in (1, 3, 4) and array.shape[1] not in (1, 3):
        raise NextframeError(
            f"{source} has shape {array.shape}, which looks like channels last; nextframe takes (frames, "
            "channels, H, W): np.moveaxis(frames, -1, 1)"
        )
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    elif array.dtype == np.uint16:
        array = array.astype(np.float32) / 65535.0
    elif np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
        if not np.isfinite(array).all():
            raise NextframeError(f"{source} contains NaN or infinite pixels; clean the frames before passing them")
        lo, hi = float(array.min()), float(array.max())
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise NextframeError(
                f"{source} has pixels in [{lo:.3g}, {hi:.3g}], outside [0, 1]; rescale float frames to [0, 1] (or pass uint8)"
            )
        array = np.clip(array, 0.0, 1.0)
    else:
        raise NextframeError(
            f"{source} has dtype {array.dtype}; pass uint8 in [0, 255], uint16 in [0, 65535] or float in [0, 1]"
        )
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise NextframeError(f"{source} has shape {array.shape}; expected (frames, H, W) or (frames, channels, H, W)")
    if channels == 1 and array.shape[1] == 3:
        array = to_gray(array, source, warn_colour)
    if channels is not None and array.shape[1] != channels:
        raise NextframeError(
            f"{source} has {array.shape[1]} channels but the model takes {channels}; convert the frames first"
        )
    return array


def to_gray(frames: np.ndarray, source: str, warn: bool = True) -> np.ndarray:
    """RGB frames (frames, 3, H, W) as the ITU-R 601 luma a grayscale model takes, PIL's "L" conversion; said aloud
    when the frames are in colour (gray frames stored as RGB convert silently, exactly)."""
    if warn and not (np.array_equal(frames[:, 0], frames[:, 1]) and np.array_equal(frames[:, 0], frames[:, 2])):
        import warnings

        warnings.warn(
            f"{source}: colour frames for a grayscale model, converted to luma (0.299 R + 0.587 G + 0.114 B)",
            stacklevel=2,
        )
    luma = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), frames.astype(np.float32), axes=([0], [1]))
    return (
        luma[:, None].astype(frames.dtype)
        if frames.dtype != np.uint8
        else np.clip(np.rint(luma), 0, 255).astype(np.uint8)[:, None]
    )


def _read_image(path: Path, channels: int) -> np.ndarray:
    """One image as float32 (3, H, W) in [0, 1]: 8- and 16-bit gray, RGB, palette and alpha images."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.mode in (
                "I;16",
                "I;16B",
                "I;16L",
                "I",
            ):  # 16-bit gray: PIL's "L" conversion would clip it to white
                array = np.asarray(image, dtype=np.float32)[None] / 65535.0
            elif image.mode == "F":
                raise NextframeError(
                    f"{path} holds floating-point pixels of unknown range; save it as an 8- or 16-bit image"
                )
            else:
                array = np.asarray(image.convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255.0
    except (UnidentifiedImageError, OSError) as err:
        raise NextframeError(
            f"cannot read image {path} ({err.__class__.__name__}); check that it is a valid image file"
        ) from None
    return (
        np.repeat(array, 3, axis=0) if array.shape[0] == 1 else array
    )  # RGB; to_float_frames makes it gray for a gray model


def _read_animation(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    try:
        plugin = "pillow" if path.suffix.lower() == ".gif" else "pyav"
        frames = [np.asarray(f) for f in iio.imiter(path, plugin=plugin)]
    except Exception as err:  # decoders raise many types for a corrupt file
        raise NextframeError(
            f"cannot decode {path} ({err.__class__.__name__}: {str(err)[:80]}); check the file or convert it to PNG frames"
        ) from None
    if not frames:
        raise NextframeError(f"{path} holds no frames")
    out = []
    for frame in frames:
        if frame.ndim == 2:
            frame = np.repeat(frame[..., None], 3, axis=2)
        out.append(frame[..., :3].transpose(2, 0, 1))
    return np.stack(out).astype(np.uint8)  # (frames, 3, H, W); to_float_frames turns it gray for a gray model


def read_frames(paths: list[str | Path], channels: int = 1, warn_colour: bool = True) -> np.ndarray:
    """Read frames from one `.npy`, GIF or video file, or from several image files (one frame each), in order, as
    float32 (frames, channels, H, W) in [0, 1]. Colour frames read for channels=1 become luma, with a warning unless
    `warn_colour` is False (a dataset of gray crops from colour video wants no warning per sequence)."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise NextframeError("no context frames given; pass a .npy, GIF or video file, or one image per frame")
    for path in paths:
        if path.is_dir():
            raise NextframeError(
                f"{path} is a folder; pass the frame files in it (for example {path}/*.png), or one .npy, GIF or video file"
            )
        if not path.is_file():
            raise NextframeError(f"{path} does not exist; check the path")
        if path.stat().st_size == 0:
            raise NextframeError(f"{path} is empty (0 bytes); pass a file that holds frames")
    suffixes = {p.suffix.lower() for p in paths}
    if len(paths) == 1 and paths[0].suffix.lower() == ".npy":
        try:
            array = np.load(paths[0], allow_pickle=False)
        except (ValueError, OSError, EOFError) as err:
            raise NextframeError(
                f"cannot read {paths[0]} as a .npy array ({str(err)[:80] or err.__class__.__name__}); check the file"
            ) from None
        return to_float_frames(array, str(paths[0]), channels, warn_colour)
    if len(paths) == 1 and (suffixes & (VIDEO_SUFFIXES | {".gif"})):
        return to_float_frames(_read_animation(paths[0]), str(paths[0]), channels, warn_colour)
    if suffixes <= IMAGE_SUFFIXES:
        images = [_read_image(p, channels) for p in paths]
        if len({im.shape for im in images}) > 1:
            raise NextframeError(
                f"the context images differ in size ({sorted({im.shape[1:] for im in images})}); pass frames of one size"
            )
        return to_float_frames(np.stack(images), "the context images", channels, warn_colour)
    raise NextframeError(
        f"cannot read context from {', '.join(map(str, paths))}: pass one .npy, GIF or video file "
        f"({', '.join(sorted(VIDEO_SUFFIXES))}), or image files ({', '.join(sorted(IMAGE_SUFFIXES))})"
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
            canvas[
                :, pad + i * cell_h : pad + i * cell_h + h * scale, pad + j * cell_w : pad + j * cell_w + w * scale
            ] = big[i, j]
    return to_uint8_image(canvas)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    return Path(path)


def _text_width(font, text: str) -> int:
    return int(font.getlength(text))


def with_labels(
    image: np.ndarray,
    row_labels=None,
    col_labels=None,
    title: str | None = None,
    cell: tuple[int, int] | None = None,
    pad: int = 2,
) -> np.ndarray:
    """A grid image (from `grid_image`) with a label left of each row, above each column, and a title line, in black
    on white (PIL's default font), so a reader knows what each cell is without the command that made it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    rgb = image if image.ndim == 3 else np.stack([image] * 3, axis=-1)
    line = 13
    left = max([_text_width(font, t) for t in row_labels or []] + [0]) + (6 if row_labels else 0)
    top = (line if col_labels else 0) + (line if title else 0)
    canvas = Image.new(
        "RGB", (max(rgb.shape[1] + left, _text_width(font, title or "") + 4), rgb.shape[0] + top), "white"
    )
    canvas.paste(Image.fromarray(rgb), (left, top))
    draw = ImageDraw.Draw(canvas)
    cell_h, cell_w = cell or (rgb.shape[0], rgb.shape[1])
    if title:
        draw.text((2, 0), title, fill="black", font=font)
    for j, text in enumerate(col_labels or []):
        draw.text((left + pad + j * cell_w, top - line), text, fill="black", font=font)
    for i, text in enumerate(row_labels or []):
        draw.text((2, top + pad + i * cell_h + max(cell_h - pad - line, 0) // 2), text, fill="black", font=font)
    return np.asarray(canvas)


def write_grid(
    path: str | Path, frames: np.ndarray, scale: int = 4, row_labels=None, col_labels=None, title: str | None = None
) -> Path:
    """Save (rows, cols, channels, H, W) frames as one PNG grid, with optional row and column labels and a title."""
    image = grid_image(frames, scale)
    if row_labels or col_labels or title:
        h, w = frames.shape[-2:]
        image = with_labels(image, row_labels, col_labels, title, cell=(h * scale + 2, w * scale + 2))
    return write_png(path, image)


def write_gif(
    path: str | Path, frames: np.ndarray, scale: int = 4, fps: float = 4.0, col_labels=None, titles=None
) -> Path:
    """Save an animation of frames (time, channels, H, W), or (time, cols, channels, H, W) side by side; optional
    labels above the columns and a title per time step (for example which frame is context and which predicted)."""
    import imageio.v3 as iio

    frames = np.asarray(frames)
    if frames.ndim == 4:
        frames = frames[:, None]
    h, w = frames.shape[-2:]
    images = [grid_image(f[None], scale) for f in frames]
    if col_labels or titles:
        images = [
            with_labels(im, None, col_labels, titles[t] if titles else None, cell=(h * scale + 2, w * scale + 2))
            for t, im in enumerate(images)
        ]
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, np.stack(images), extension=".gif", plugin="pillow", duration=1000.0 / fps, loop=0)
    return Path(path)


def write_npy(path: str | Path, array: np.ndarray) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)
    return Path(path)
