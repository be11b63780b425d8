"""Fixtures shared by the test files: small Moving Leaves datasets, made once per session. They are read-only: a test
writes its runs and outputs under its own tmp_path, never into these."""

import pytest

from nextframe.data.leaves import LeavesConfig, write_leaves


@pytest.fixture(scope="session")
def leaves40(tmp_path_factory):
    """40 sequences of 32x32 Moving Leaves (seed 0): 36 training and 4 test clips of 11 frames."""
    return write_leaves(tmp_path_factory.mktemp("leaves40") / "data", n=40, progress=False)


@pytest.fixture(scope="session")
def leaves16(tmp_path_factory):
    """The same 40 sequences' scene on a 16x16 canvas (`LeavesConfig.for_size(16)`)."""
    cfg = LeavesConfig.for_size(16)
    return write_leaves(tmp_path_factory.mktemp("leaves16") / "data", n=40, cfg=cfg, progress=False)
