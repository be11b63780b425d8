"""Real video into a clip dataset like the paper's DAVIS32 (App. D): grayscale 32x32 clips of 11 frames.

A *sequence* is one folder of frame images (the DAVIS layout `JPEGImages/480p/<sequence>/*.jpg`, or any folder of
numbered images) or one video file (MP4, AVI, MKV, MOV, WebM, decoded with PyAV through imageio). Each sequence is
cut into clips of `frames` consecutive frames (a new clip every `clip_stride` frames) and each clip is cropped at
`rows x cols` spatial locations and at every scale:

- Scale f: every frame is down-sampled by the factor f with an anti-aliasing Gaussian prefilter (sigma = (f - 1) / 2
  pixels of the original, `skimage.transform.rescale(..., anti_aliasing=True)`), never by plain striding, so a
  32x32 crop at scale f shows a 32f x 32f window of the original frame.
- Locations: a `rows x cols` grid of crop corners spread evenly over the down-sampled frame, the outer crops touching
  its borders (`numpy.linspace(0, H - 32, rows)` by `numpy.linspace(0, W - 32, cols)`, rounded). The default 3 x 7 =
  21 locations at scales 2, 4 and 8 gives the paper's 21 locations and 3 scales; at 854x480 (DAVIS 480p) the crops
  overlap at the coarser scales, as they must for 21 crops to fit.

Train and test are split by sequence, never by frame, so no test clip shares a scene with a training clip. The split
(which sequences are held out) and every setting here are saved in the dataset's `meta.json`; each clip's sequence,
first frame, scale and location are saved beside it (`<split>_truth.npz`) so analyses can find a clip's source.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nextframe.data.frames_io import IMAGE_SUFFIXES, VIDEO_SUFFIXES, read_frames
from nextframe.errors import NextframeError
from nextframe.settings import check_fields, ints_of, setting


@dataclass(frozen=True)
class VideoCropConfig:
    frames: int = setting(
        11, "frames per clip (tau + 1 <= frames; the paper's 11 allow 9 predictions at tau = 2)", low=2
    )
    size: int = setting(32, "crop side in pixels, after down-sampling", low=8)
    scales: tuple[int, ...] = setting(
        (2, 4, 8), "anti-aliased down-sampling factors; a crop at scale f covers 32f x 32f original pixels"
    )
    rows: int = setting(3, "crop locations per scale: rows of a grid spread evenly over the down-sampled frame", low=1)
    cols: int = setting(7, "crop locations per scale: columns of that grid (3 x 7: the paper's 21)", low=1)
    clip_stride: int = setting(11, "frames between the first frames of successive clips (11: no overlap)", low=1)

    def __post_init__(self):
        object.__setattr__(self, "scales", ints_of(self.scales, "scales"))  # a flag's words or a JSON list
        check_fields(self)
        if not self.scales or min(self.scales) < 1:
            raise NextframeError(f"--scales {list(self.scales)}: give one or more down-sampling factors of at least 1")

    def to_dict(self) -> dict:
        return dict(asdict(self), scales=list(self.scales))


@dataclass(frozen=True)
class Sequence:
    name: str
    paths: tuple[Path, ...]  # the frame images in order, or a single video file


def find_sequences(sources: list[str | Path]) -> list[Sequence]:
    """Sequences from DAVIS roots, folders of sequence folders or of videos, single sequence folders, or video files."""
    found: list[Sequence] = []
    for source in map(Path, sources):
        if not source.exists():
            raise NextframeError(
                f"{source} does not exist; pass a DAVIS folder, a folder of frame folders or videos, or video files"
            )
        if source.is_file():
            if source.suffix.lower() not in VIDEO_SUFFIXES:
                raise NextframeError(
                    f"{source} is not a video file ({', '.join(sorted(VIDEO_SUFFIXES))}); pass videos or folders of frame images"
                )
            found.append(Sequence(source.stem, (source,)))
            continue
        davis = source / "JPEGImages" / "480p"
        root = davis if davis.is_dir() else source
        if _images(root):  # the folder is itself one sequence
            found.append(Sequence(root.name, _images(root)))
            continue
        for entry in sorted(root.iterdir()):
            if entry.is_dir() and _images(entry):
                found.append(Sequence(entry.name, _images(entry)))
            elif entry.is_file() and entry.suffix.lower() in VIDEO_SUFFIXES:
                found.append(Sequence(entry.stem, (entry,)))
    if not found:
        raise NextframeError(
            f"no frame folders or video files found in {', '.join(map(str, sources))}; expected "
            f"JPEGImages/480p/<sequence>/*.jpg, <sequence>/*.png or *.mp4"
        )
    names = [s.name for s in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise NextframeError(f"two sequences are named {repeated[0]!r}; sequence names decide the split, so rename one")
    return found


def _images(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))


def check_test_every(test_sequences: list[str] | None, test_every: int) -> None:
    """`test_every` matters, and must leave training sequences, only when no sequences are named."""
    if not test_sequences and test_every < 2:
        raise NextframeError(f"--test-every {test_every}: use 2 or more so that some sequences remain for training")


def choose_test(names: list[str], test_sequences: list[str] | None = None, test_every: int = 5) -> list[str]:
    """Held-out sequences: those named, else every `test_every`-th name in sorted order (the 5th, 10th, ...)."""
    check_test_every(test_sequences, test_every)
    if test_sequences:
        unknown = sorted(set(test_sequences) - set(names))
        if unknown:
            raise NextframeError(
                f"--test-sequences names {unknown}, which are not among the sequences found ({', '.join(sorted(names))})"
            )
        chosen = sorted(set(test_sequences))
    else:
        chosen = [n for i, n in enumerate(sorted(names)) if i % test_every == test_every - 1]
    if not chosen or len(chosen) == len(names):
        raise NextframeError(
            f"the split holds out {len(chosen)} of {len(names)} sequences; both train and test need at least one (set --test-sequences)"
        )
    return chosen


def downsample(frames: np.ndarray, factor: int) -> np.ndarray:
    """(T, H, W) float in [0, 1] -> (T, round(H/f), round(W/f)), Gaussian anti-aliasing prefilter then bilinear."""
    if factor == 1:
        return frames
    from skimage.transform import rescale

    return np.stack([rescale(f, 1.0 / factor, anti_aliasing=True, order=1, mode="reflect") for f in frames]).astype(
        np.float32
    )


def crop_corners(height: int, width: int, size: int, rows: int, cols: int) -> list[tuple[int, int]]:
    """Top-left corners of a rows x cols grid of size x size crops spread evenly over an H x W frame, row by row."""
    ys = np.rint(np.linspace(0, height - size, rows)).astype(int)
    xs = np.rint(np.linspace(0, width - size, cols)).astype(int)
    return [(int(y), int(x)) for y in ys for x in xs]


def sequence_clips(frames: np.ndarray, cfg: VideoCropConfig) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Crops of one sequence (T, H, W) float: uint8 clips (n, frames, 1, size, size) and, per clip, where it came from."""
    starts = np.arange(0, frames.shape[0] - cfg.frames + 1, cfg.clip_stride)
    clips, where = [], {"start": [], "scale": [], "location": [], "top": [], "left": []}
    for scale in cfg.scales:
        small = downsample(frames, scale)
        h, w = small.shape[1:]
        if h < cfg.size or w < cfg.size:
            continue  # the caller reports scales that do not fit
        for k, (y, x) in enumerate(crop_corners(h, w, cfg.size, cfg.rows, cfg.cols)):
            for start in starts:
                clips.append(small[start : start + cfg.frames, y : y + cfg.size, x : x + cfg.size])
                for key, value in (("start", start), ("scale", scale), ("location", k), ("top", y), ("left", x)):
                    where[key].append(value)
    if not clips:
        return np.zeros((0, cfg.frames, 1, cfg.size, cfg.size), np.uint8), {k: np.zeros(0, np.int32) for k in where}
    array = np.clip(np.rint(np.stack(clips) * 255.0), 0, 255).astype(np.uint8)[:, :, None]
    return array, {k: np.asarray(v, np.int32) for k, v in where.items()}


def write_video_dataset(
    sources: list[str | Path],
    out: str | Path,
    cfg: VideoCropConfig = VideoCropConfig(),
    test_sequences: list[str] | None = None,  # names of held-out sequences; default: every `test_every`-th
    test_every: int = 5,
    overwrite: bool = False,
    progress: bool = True,
) -> tuple[Path, dict]:
    """Decode, crop and save every sequence found in `sources`; unreadable or too short ones are skipped with a warning.

    Clips are held in memory until written (about 11 kB per clip), which suits datasets up to a few hundred thousand clips.
    """
    from tqdm.auto import tqdm

    from nextframe.data.store import ClipDataset, write_dataset
    from nextframe.files import check_out_dir

    check_out_dir(out)
    check_test_every(test_sequences, test_every)  # before any decoding, not after it
    sequences = find_sequences(sources)
    if Path(out).exists() and not overwrite:
        raise NextframeError(f"{out} already exists; choose another --out or pass --overwrite")
    kept: list[tuple[str, np.ndarray, dict]] = []
    skipped: dict[str, str] = {}
    for seq in tqdm(sequences, unit="seq", desc="video clips", disable=not progress):
        try:
            frames = read_frames(list(seq.paths), channels=1, warn_colour=False)[:, 0]  # App. D: grayscale
        except NextframeError as err:
            skipped[seq.name] = str(err)
            continue
        if len(frames) < cfg.frames:
            skipped[seq.name] = f"{len(frames)} frames, fewer than the {cfg.frames} of a clip"
            continue
        clips, where = sequence_clips(frames, cfg)
        if len(clips) == 0:
            skipped[seq.name] = (
                f"frames of {frames.shape[2]}x{frames.shape[1]} are too small for {cfg.size}-pixel crops at scales {list(cfg.scales)}"
            )
            continue
        too_small = [f for f in cfg.scales if min(np.rint(np.array(frames.shape[1:]) / f)) < cfg.size]
        if too_small:
            warnings.warn(
                f"{seq.name}: frames of {frames.shape[2]}x{frames.shape[1]} are too small for scales {too_small}; those are left out",
                stacklevel=2,
            )
        kept.append((seq.name, clips, where))
    for name, why in skipped.items():
        warnings.warn(f"skipped {name}: {why}", stacklevel=2)
    if not kept:
        raise NextframeError(
            f"none of the {len(sequences)} sequences could be used (the warnings above say why); check the files or the "
            f"--frames, --size and --scales settings"
        )
    names = [name for name, _, _ in kept]
    test = choose_test(names, test_sequences, test_every)

    def chunks():
        for index, (name, clips, where) in enumerate(kept):
            yield clips, np.full(len(clips), name in test), dict(where, sequence=np.full(len(clips), index, np.int32))

    counts = {"test": sum(len(c) for n, c, _ in kept if n in test)}
    counts["train"] = sum(len(c) for _, c, _ in kept) - counts["test"]
    meta = {
        "kind": "video",
        "sequences": names,  # index i of `sequence` in <split>_truth.npz
        "split": {
            "train": [n for n in names if n not in test],
            "test": test,
            "rule": "named with --test-sequences"
            if test_sequences
            else f"every {test_every}th sequence in sorted order",
        },
        "skipped": skipped,
        "crops": cfg.to_dict(),
        "sources": [str(Path(s).resolve()) for s in sources],
    }
    path = write_dataset(out, chunks(), counts, (cfg.frames, 1, cfg.size, cfg.size), meta, overwrite=overwrite)
    return path, ClipDataset.open(path).meta
