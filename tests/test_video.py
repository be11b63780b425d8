"""Real-video ingest: crop layout, anti-aliased scales, the split by sequence, and end-to-end ingest of files made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nextframe.cli.main import main
from nextframe.data.store import ClipDataset, Windows
from nextframe.data.video import (
    VideoCropConfig,
    choose_test,
    crop_corners,
    downsample,
    sequence_clips,
    write_video_dataset,
)
from nextframe.errors import NextframeError

DAVIS = Path(__file__).resolve().parents[2] / "shared" / "data" / "davis2016-val"


def test_crop_grid_spans_the_frame_evenly():
    corners = crop_corners(60, 107, 32, rows=3, cols=7)
    assert len(corners) == 21
    ys, xs = sorted({y for y, _ in corners}), sorted({x for _, x in corners})
    assert ys == [0, 14, 28] and xs[0] == 0 and xs[-1] == 107 - 32  # outer crops touch the borders
    assert np.ptp(np.diff(xs)) <= 1  # even spacing, up to rounding
    assert corners[:7] == [(0, x) for x in xs]  # row by row
    assert crop_corners(32, 32, 32, 3, 7) == [(0, 0)] * 21  # a frame the size of a crop: every crop is the frame


def test_clips_are_exact_crops_of_consecutive_frames():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(25, 40, 50)).astype(np.float32) / 255
    cfg = VideoCropConfig(frames=11, size=32, scales=(1,), rows=2, cols=3, clip_stride=7)
    clips, where = sequence_clips(frames, cfg)
    assert clips.shape == (6 * 3, 11, 1, 32, 32)  # 6 locations x starts 0, 7, 14
    for clip, start, top, left in zip(clips, where["start"], where["top"], where["left"]):
        expected = np.rint(frames[start : start + 11, top : top + 32, left : left + 32] * 255).astype(np.uint8)
        np.testing.assert_array_equal(clip[:, 0], expected)
    assert sorted(set(where["start"])) == [0, 7, 14] and sorted(set(where["left"])) == [0, 9, 18]


def test_downsampling_is_anti_aliased_not_strided():
    stripes = np.zeros((1, 64, 64), np.float32)
    stripes[:, :, ::2] = 1.0  # a 2-pixel period: plain striding by 2 would return all ones (or all zeros)
    for factor in (2, 4):
        small = downsample(stripes, factor)
        assert small.shape == (1, 64 // factor, 64 // factor)
        inner = small[:, 4:-4, 4:-4]
        assert abs(inner.mean() - 0.5) < 0.02 and inner.std() < 0.05
    flat = np.full((2, 48, 48), 0.3, np.float32)
    np.testing.assert_allclose(downsample(flat, 4), 0.3, atol=1e-5)  # the prefilter keeps the mean


def test_default_split_holds_out_every_fifth_sequence_by_name():
    names = [f"s{i:02d}" for i in range(20)][::-1]
    assert choose_test(names) == ["s04", "s09", "s14", "s19"]
    assert choose_test(names, ["s01", "s00"]) == ["s00", "s01"]
    with pytest.raises(NextframeError, match="not among the sequences"):
        choose_test(names, ["nope"])
    with pytest.raises(NextframeError, match="both train and test"):
        choose_test(names, names)


def _write_sequence_folder(root: Path, name: str, value: int, frames: int = 12, size: int = 40) -> None:
    from PIL import Image

    folder = root / "JPEGImages" / "480p" / name
    folder.mkdir(parents=True)
    for t in range(frames):
        image = np.full((size, size), value, np.uint8)
        Image.fromarray(image).save(folder / f"{t:05d}.png")


def test_davis_layout_split_by_sequence(tmp_path):
    values = {"alpha": 20, "bravo": 60, "charlie": 100, "delta": 140, "echo": 180, "foxtrot": 220}
    for name, value in values.items():
        _write_sequence_folder(tmp_path / "davis", name, value)
    cfg = VideoCropConfig(frames=11, scales=(1,), rows=1, cols=2)
    out, meta = write_video_dataset([tmp_path / "davis"], tmp_path / "clips", cfg, test_every=3, progress=False)
    assert meta["split"]["test"] == ["charlie", "foxtrot"]
    data = ClipDataset.open(out)
    assert data.meta["split"] == meta["split"] and data.meta["crops"]["scales"] == [1]
    for split in ("train", "test"):
        clips, truth = data.clips(split), data.truth(split)
        names = {meta["sequences"][i] for i in truth["sequence"]}
        assert names == set(meta["split"][split])
        for clip, index in zip(clips, truth["sequence"]):  # each clip holds only its own sequence's pixels
            assert np.all(clip == values[meta["sequences"][index]])
    assert len(data.clips("test")) == 2 * 2  # 2 sequences x 2 locations x 1 clip of 11 from 12 frames


def _write_video(path: Path, frames: int, speed: int) -> None:
    import imageio.v3 as iio

    video = np.full((frames, 64, 64, 3), 30, np.uint8)
    for t in range(frames):
        video[t, :, 4 + speed * t : 12 + speed * t] = 220  # a bright vertical bar moving right
    iio.imwrite(path, video, plugin="pyav", codec="mpeg4", fps=24)


def test_video_files_end_to_end_with_bad_files_skipped(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    _write_video(videos / "a.mp4", 24, 2)
    _write_video(videos / "b.mp4", 24, 2)
    _write_video(videos / "short.mp4", 5, 2)
    (videos / "broken.avi").write_bytes(b"not a video at all" * 10)
    with pytest.warns(UserWarning) as warned:
        code = main(
            [
                "data",
                "video",
                "--source",
                str(videos),
                "--out",
                str(tmp_path / "clips"),
                "--scales",
                "1",
                "2",
                "--rows",
                "1",
                "--cols",
                "2",
                "--test-every",
                "2",
                "--no-progress",
            ]
        )
    assert code == 0 and "Traceback" not in capsys.readouterr().err
    said = sorted(str(w.message).split(":")[0] for w in warned)
    assert said == ["skipped broken", "skipped short"]
    data = ClipDataset.open(tmp_path / "clips")
    assert data.meta["split"]["test"] == ["b"] and sorted(data.meta["skipped"]) == ["broken", "short"]
    clips = data.clips("train")
    assert clips.shape == (2 * 2 * 2, 11, 1, 32, 32)  # 2 scales x 2 locations x 2 clips (frames 0-10, 11-21)
    truth = data.truth("train")
    full = (truth["scale"] == 1) & (truth["location"] == 0) & (truth["start"] == 0)
    clip = clips[np.flatnonzero(full)[0], :, 0].astype(np.float32)
    centre = (clip * np.arange(32)).sum(axis=(1, 2)) / clip.sum(axis=(1, 2))
    assert np.all(np.diff(centre) > 0)  # the bar moves right in every frame
    context, target = Windows(clips, tau=2).batch(np.arange(3))
    assert context.shape == (3, 2, 32, 32) and float(target.max()) > 0.7


def test_unusable_sources_fail_in_one_line(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    _write_video(videos / "short.mp4", 5, 1)
    with pytest.warns(UserWarning, match="skipped short: 5 frames, fewer than the 11"):
        assert main(["data", "video", "--source", str(videos), "--out", str(tmp_path / "clips"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("nextframe: error: none of the 1 sequences") and not (tmp_path / "clips").exists()
    assert main(["data", "video", "--source", str(tmp_path / "missing"), "--out", str(tmp_path / "clips")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.skipif(not DAVIS.is_dir(), reason="needs ../shared/data/davis2016-val")
def test_davis_sequence_listing():
    from nextframe.data.video import find_sequences

    sequences = find_sequences([DAVIS])
    assert len(sequences) == 20 and sequences[0].name == "blackswan" and len(sequences[0].paths) == 50
