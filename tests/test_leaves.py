"""The Moving Leaves generator follows the rules of App. D, and a seed fixes every sequence."""

import numpy as np
import pytest

from nextframe.data.leaves import (
    LeavesConfig,
    LeavesTruth,
    approach_windows,
    disk_coverage,
    generate_arrays,
    half_hidden_distance,
    hidden_fraction,
    make_probe,
    render,
    write_leaves,
)
from nextframe.data.store import ClipDataset, Windows
from nextframe.errors import NextframeError


@pytest.fixture(scope="module")
def leaves():
    return generate_arrays(2000, seed=3)


def test_frames_have_the_default_shape_and_range(leaves):
    frames, truth = leaves
    assert frames.shape == (2000, 11, 1, 32, 32) and frames.dtype == np.uint8
    assert truth.centers.shape == (2000, 11, 2, 2)
    assert ((truth.luminance >= 0) & (truth.luminance <= 1)).all()
    cfg = LeavesConfig()
    np.testing.assert_allclose(truth.radii, cfg.physical_radius / truth.depths, rtol=1e-5)


def test_larger_disk_always_occludes_the_smaller(leaves):
    frames, truth = leaves
    cfg = LeavesConfig()
    checked = 0
    for i in range(200):
        front, back = truth.front[i], 1 - truth.front[i]
        cover_front = disk_coverage(truth.centers[i, :, front], truth.radii[i, front], cfg.size)
        cover_back = disk_coverage(truth.centers[i, :, back], truth.radii[i, back], cfg.size)
        both = (cover_front == 1) & (cover_back == 1)  # pixels fully inside both disks
        if both.any():
            values = frames[i, :, 0][both] / 255.0
            np.testing.assert_allclose(values, truth.luminance[i, 1 + front], atol=1 / 255)
            checked += 1
    assert checked > 150  # every sequence has an overlap frame, so nearly all are checked
    assert (
        truth.radii[np.arange(len(truth)), truth.front] >= truth.radii[np.arange(len(truth)), 1 - truth.front]
    ).all()


def test_each_sequence_has_a_frame_with_half_the_smaller_disk_hidden(leaves):
    _, truth = leaves
    cfg = LeavesConfig()
    small = truth.radii.min(axis=1)
    large = truth.radii.max(axis=1)
    small_idx = np.argmin(truth.radii, axis=1)
    n = np.arange(len(truth))
    gap = np.linalg.norm(truth.centers[n, :, small_idx] - truth.centers[n, :, 1 - small_idx], axis=-1)  # (n, frames)
    fraction = hidden_fraction(gap, small[:, None], large[:, None]).max(axis=1)
    assert (fraction >= 0.5).all(), fraction.min()
    # The same holds on the rendered pixels: the coverage of the small disk under the large one.
    for i in range(50):
        cs = disk_coverage(truth.centers[i, :, small_idx[i]], truth.radii[i, small_idx[i]], cfg.size)
        cl = disk_coverage(truth.centers[i, :, 1 - small_idx[i]], truth.radii[i, 1 - small_idx[i]], cfg.size)
        visible = cs.sum(axis=(1, 2))
        hidden = (cs * cl).sum(axis=(1, 2))[visible > 0] / visible[visible > 0]  # frames where it is on the canvas
        assert hidden.max() >= 0.5


def test_hidden_fraction_matches_its_limits():
    assert hidden_fraction(np.array(0.0), np.array(2.0), np.array(5.0)) == pytest.approx(1.0)
    assert hidden_fraction(np.array(8.0), np.array(2.0), np.array(5.0)) == pytest.approx(0.0)
    # Equal radii at distance r: the lens is 2 r^2 (pi/3 - sqrt(3)/4), an exact closed form.
    assert hidden_fraction(np.array(1.0), np.array(1.0), np.array(1.0)) == pytest.approx(
        2 * (np.pi / 3 - np.sqrt(3) / 4) / np.pi
    )
    d = half_hidden_distance(np.array([3.0]), np.array([6.0]))
    assert hidden_fraction(d, np.array([3.0]), np.array([6.0])) == pytest.approx(0.5, abs=1e-6)


def test_speed_falls_with_depth(leaves):
    _, truth = leaves
    speed = np.linalg.norm(np.diff(truth.centers, axis=1), axis=-1).mean(axis=1).reshape(-1)  # (n * 2,)
    depth = truth.depths.reshape(-1)
    bins = np.quantile(depth, [0, 0.25, 0.5, 0.75, 1])
    means = [speed[(depth >= lo) & (depth <= hi)].mean() for lo, hi in zip(bins[:-1], bins[1:])]
    assert all(a > b for a, b in zip(means, means[1:])), means
    assert np.corrcoef(1 / depth, speed)[0, 1] > 0.3


def test_a_seed_fixes_the_data_and_prefixes_agree():
    a, ta = generate_arrays(1500, seed=11)
    b, tb = generate_arrays(1500, seed=11)
    c, _ = generate_arrays(1500, seed=12)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ta.centers, tb.centers)
    assert (a != c).any()
    part, _ = generate_arrays(200, seed=11, start=1200)  # sequence i is the same whatever the range asked for
    np.testing.assert_array_equal(part, a[1200:1400])


def test_edges_are_anti_aliased():
    centers = np.array([[[[16.3, 15.7], [100.0, 100.0]]]], np.float32)
    frame = render(centers, np.array([[6.2, 1.0]], np.float32), np.array([[0.0, 1.0, 0.5]], np.float32), 32)[0, 0]
    fractional = (frame > 0.02) & (frame < 0.98)
    assert 10 < fractional.sum() < 80  # a one-pixel ramp around the circumference, not a staircase
    assert frame.sum() == pytest.approx(np.pi * 6.2**2, rel=0.02)  # the ramp preserves the disk's area


def test_probe_context_shows_no_overlap_and_outcomes_differ():
    probe = make_probe(5.0, 5.0)
    assert probe.context.shape == (2, 1, 32, 32)
    c = probe.truth.centers[0]
    r = probe.truth.radii[0]
    assert np.linalg.norm(c[1, 0] - c[1, 1]) > r.sum() + 1  # the disks are apart in the last conditioning frame
    assert hidden_fraction(np.linalg.norm(c[2, 0] - c[2, 1]), r.min(), r.max()) > 0.5  # and overlap in the next
    diff = np.abs(probe.left_front - probe.right_front)
    assert diff.max() == pytest.approx(0.4, abs=1e-5)  # |0.3 - 0.7| in the lens
    assert (diff > 0.2).sum() > 20
    # The outcome with the left disk in front shows the left luminance at the middle of the lens.
    assert probe.left_front[0, 16, 16] == pytest.approx(0.3) and probe.right_front[0, 16, 16] == pytest.approx(0.7)


def test_written_dataset_round_trips_and_splits_nine_to_one(tmp_path):
    out = write_leaves(tmp_path / "leaves", n=200, seed=5, progress=False)
    data = ClipDataset.open(out)
    train, test = data.clips("train"), data.clips("test")
    assert (len(train), len(test)) == (180, 20)
    frames, _ = generate_arrays(200, seed=5)
    np.testing.assert_array_equal(test, frames[9::10])
    truth = data.truth("test")
    np.testing.assert_array_equal(truth["radii"], generate_arrays(200, seed=5)[1].radii[9::10])
    windows = Windows(train, tau=2)
    assert len(windows) == 180 * 9
    context, target = windows.batch(np.array([10, 0]))  # clip 1 from frame 1; clip 0 from frame 0
    np.testing.assert_allclose(context[0, 0].numpy(), train[1, 1, 0] / 255.0)
    np.testing.assert_allclose(target[1, 0].numpy(), train[0, 2, 0] / 255.0)
    with pytest.raises(NextframeError, match="already exists"):
        write_leaves(tmp_path / "leaves", n=200, progress=False)
    with pytest.raises(NextframeError, match="tau=11"):
        Windows(train, tau=11)


def test_approach_windows_are_the_last_moments_before_contact():
    # two disks of radius 2 closing in along x: edge-to-edge gaps 16, 10, 5, 1, -2 (overlap) over five frames
    distance = np.array([20.0, 14.0, 9.0, 5.0, 2.0])
    centers = np.zeros((1, 5, 2, 2), np.float32)
    centers[0, :, 1, 0] = distance
    truth = LeavesTruth(
        centers=centers,
        radii=np.array([[2.0, 2.0]], np.float32),
        depths=np.ones((1, 2), np.float32),
        luminance=np.zeros((1, 3), np.float32),
        collision_frame=np.array([4], np.int16),
    )
    # tau 2: windows start at 0, 1, 2; only the one whose last context gap (1) is under 4 pixels qualifies
    assert approach_windows(truth, 2).tolist() == [[False, False, True]]
    assert approach_windows(truth, 2, gap=6.0).tolist() == [[False, True, True]]
    receding = LeavesTruth(**{**truth.to_arrays(), "centers": centers[:, ::-1].copy()})
    assert not approach_windows(receding, 2).any()  # moving apart, or overlapping in the context


def test_approach_windows_read_only_the_context(leaves):
    frames, truth = leaves
    tau = 2
    before = approach_windows(truth, tau)
    changed = truth.centers.copy()
    changed[:, 6:, 0] += 5.0  # move one disk after frame 5: windows starting at 0..4 have their context in frames <= 5
    after = approach_windows(LeavesTruth(**{**truth.to_arrays(), "centers": changed}), tau)
    assert (after[:, :5] == before[:, :5]).all() and (after != before).any() and 0 < before.mean() < 0.2


def test_scene_flags_are_generated_from_the_config_and_win_over_the_canvas_scaling(tmp_path):
    """`nextframe data leaves` takes every LeavesConfig field as a flag; --size scales the lengths in pixels
    (`for_size`) and a length typed beside it replaces the scaled one."""
    import json

    from nextframe.cli.main import main

    assert main(["data", "leaves", "--out", str(tmp_path / "a"), "--n", "20", "--size", "16", "--no-progress"]) == 0
    assert (
        main(
            [
                "data",
                "leaves",
                "--out",
                str(tmp_path / "b"),
                "--n",
                "20",
                "--size",
                "16",
                "--position-std",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    scaled, typed = (json.loads((tmp_path / d / "meta.json").read_text())["leaves"] for d in "ab")
    assert scaled == LeavesConfig.for_size(16).to_dict()  # physical_radius 4, position_std 3, collision_margin 4
    assert typed == {**scaled, "position_std": 2.0}
    with pytest.raises(NextframeError, match="--depth-min 3 must lie below --depth-max 2.5"):
        LeavesConfig(depth_min=3.0)


def test_a_models_scene_follows_its_frames():
    """Every consumer draws a Moving Leaves model's probes and windows on its own canvas (`for_frames`): weights
    without a recorded frame shape are the 32x32 reference, and a canvas that is not square is refused by name."""
    assert LeavesConfig.for_frames((1, 16, 16)) == LeavesConfig.for_size(16)
    assert LeavesConfig.for_frames([1, 24, 24], frames=3) == LeavesConfig.for_size(24, frames=3)
    assert LeavesConfig.for_frames(None) == LeavesConfig()
    with pytest.raises(NextframeError, match="square; these frames are 16x32"):
        LeavesConfig.for_frames((1, 16, 32))


def test_approach_windows_of_a_scaled_canvas_are_the_same_windows():
    """The approach gap is a length of the scene: on a 16x16 canvas it scales with the canvas, so the same seed picks
    the same windows as at 32x32 (a fixed 4 pixels picked half again as many, fewer of them followed by a contact)."""
    _, big = generate_arrays(1000, seed=0)
    _, small = generate_arrays(1000, seed=0, cfg=LeavesConfig.for_size(16))
    chosen = approach_windows(big, 2)
    assert 0.05 < chosen.mean() < 0.09
    np.testing.assert_array_equal(approach_windows(small, 2, size=16), chosen)
    assert approach_windows(small, 2).sum() > 1.3 * chosen.sum()  # the unscaled gap at 16x16
