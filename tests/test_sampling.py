"""Class-balanced sampling: index counts worked out by hand, determinism, errors, BalancedBatches."""

from __future__ import annotations

import doctest
import pickle
import subprocess
import sys

import numpy as np
import pytest

import cellcourse
from cellcourse import sampling
from cellcourse.sampling import oversample_indices, undersample_indices

Y7 = np.array([0, 0, 0, 0, 1, 1, 2])  # 4, 2 and 1 samples


# ----------------------------------------------------------------------------------------
# oversample_indices / undersample_indices
# ----------------------------------------------------------------------------------------


def test_oversample_by_hand():
    idx = oversample_indices(Y7, rng=0)
    # target 4: class 0 once each, class 1 (2 samples) twice each, class 2 four times
    np.testing.assert_array_equal(np.sort(idx), [0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6])
    assert idx.dtype == np.int64


def test_oversample_repeats_minority_samples_evenly():
    y = np.array([0] * 7 + [1] * 3)  # 7 = 2 * 3 + 1: class 1 samples twice, one of them thrice
    for seed in range(5):
        idx = oversample_indices(y, rng=seed)
        times = np.bincount(idx, minlength=10)
        np.testing.assert_array_equal(times[:7], 1)
        assert sorted(times[7:]) == [2, 2, 3]
        np.testing.assert_array_equal(np.bincount(y[idx]), [7, 7])


def test_oversample_bccd_sizes_and_shuffle():
    y = np.repeat([0, 1, 2], [361, 4153, 372])  # Platelets, RBC, WBC
    idx = oversample_indices(y, rng=1)
    np.testing.assert_array_equal(np.bincount(y[idx]), [4153, 4153, 4153])
    np.testing.assert_array_equal(np.bincount(idx, minlength=len(y))[y == 1], 1)
    assert not np.all(np.diff(y[idx]) >= 0)  # shuffled, not grouped by class


def test_undersample_by_hand():
    y = np.array([0] * 5 + [1] * 2 + [2] * 3)
    idx = undersample_indices(y, rng=0)
    np.testing.assert_array_equal(np.bincount(y[idx]), [2, 2, 2])
    assert len(np.unique(idx)) == len(idx) == 6  # nothing repeated
    assert {5, 6} <= set(idx.tolist())  # the smallest class is kept whole
    assert idx.dtype == np.int64


def test_undersample_bccd_sizes():
    y = np.repeat([0, 1, 2], [361, 4153, 372])
    idx = undersample_indices(y, rng=2)
    np.testing.assert_array_equal(np.bincount(y[idx]), [361, 361, 361])


@pytest.mark.parametrize("function", [oversample_indices, undersample_indices])
def test_same_seed_same_indices(function):
    y = np.repeat([0, 1, 2], [30, 5, 8])
    np.testing.assert_array_equal(function(y, rng=7), function(y, rng=7))
    np.testing.assert_array_equal(
        function(y, rng=np.random.default_rng(7)), function(y, rng=np.random.default_rng(7))
    )
    assert not np.array_equal(function(y, rng=7), function(y, rng=8))


def test_among_resamples_only_those_and_returns_indices_into_y():
    y = np.array([0, 1, 1, 1, 0, 2])
    # among 0..3: class 0 = {0}, class 1 = {1, 2, 3}; class 2 is not among them
    over = oversample_indices(y, rng=0, among=[0, 1, 2, 3])
    np.testing.assert_array_equal(np.sort(over), [0, 0, 0, 1, 2, 3])
    under = undersample_indices(y, rng=0, among=[3, 2, 1, 0])
    assert len(under) == 2 and 0 in under and set(under.tolist()) <= {0, 1, 2, 3}
    # indices into y, not positions in among
    over = oversample_indices(y, rng=0, among=np.array([5, 4]))
    np.testing.assert_array_equal(np.sort(over), [4, 5])


@pytest.mark.parametrize("function", [oversample_indices, undersample_indices])
def test_index_errors_say_what_was_expected(function):
    with pytest.raises(ValueError, match=r"shape \(S,\).*one-hot"):
        function(np.eye(3, dtype=int))
    with pytest.raises(TypeError, match="integer class indices.*float64"):
        function([0.0, 1.0])
    with pytest.raises(TypeError, match="map class names"):
        function(["RBC", "WBC"])
    with pytest.raises(ValueError, match="minimum of -1"):
        function([0, -1])
    with pytest.raises(ValueError, match="empty"):
        function(np.array([], dtype=int))
    with pytest.raises(ValueError, match=r"from 0 to 2 .* got values from 1 to 3"):
        function([0, 1, 1], among=[1, 3])
    with pytest.raises(ValueError, match="distinct"):
        function([0, 1, 1], among=[0, 1, 1])
    with pytest.raises(TypeError, match="integer sample indices"):
        function([0, 1, 1], among=[0.0, 1.0])


# ----------------------------------------------------------------------------------------
# BalancedBatches
# ----------------------------------------------------------------------------------------


def test_importing_sampling_does_not_import_keras():
    code = (
        "import sys, cellcourse, cellcourse.sampling as s; "
        "s.oversample_indices([0, 1, 1]); print('keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lazy_class_is_one_keras_pydataset():
    import keras

    from cellcourse.sampling import BalancedBatches

    assert BalancedBatches is sampling.BalancedBatches is cellcourse.sampling.BalancedBatches
    assert issubclass(BalancedBatches, keras.utils.PyDataset)
    assert BalancedBatches.__module__ == "cellcourse.sampling"
    assert "BalancedBatches" in dir(sampling)
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        sampling.NoSuchThing  # noqa: B018


def test_class_docstring_examples_run():
    cls = sampling.BalancedBatches
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(
        cls, "BalancedBatches", globs={"np": np, cls.__name__: cls}
    )
    assert sum(len(t.examples) for t in tests) >= 4
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


def _indexed_data(y, shape=(4, 4, 3)):
    # x[i] is filled with i, so every batch shows which samples it took
    x = np.broadcast_to(np.arange(len(y), dtype=np.float32)[:, None, None, None], (len(y), *shape))
    return np.ascontiguousarray(x), np.asarray(y)


def test_batches_shapes_and_pairing():
    x, y = _indexed_data([0] * 7 + [1] * 2 + [2])
    batches = sampling.BalancedBatches(x, y, batch_size=4, rng=0)
    assert len(batches) == 3  # ceil(10 / 4)
    for i in range(len(batches)):
        x_batch, y_batch = batches[i]
        assert x_batch.shape == (4, 4, 4, 3) and x_batch.dtype == np.float32
        assert y_batch.shape == (4,) and y_batch.dtype == np.int64
        np.testing.assert_array_equal(y[x_batch[:, 0, 0, 0].astype(int)], y_batch)
    assert len(sampling.BalancedBatches(x, y, batch_size=4, steps_per_epoch=11)) == 11
    assert batches.n_classes == 3
    np.testing.assert_array_equal(batches.class_counts, [7, 2, 1])


def test_batches_draw_classes_equally_often():
    x, y = _indexed_data(np.repeat([0, 1, 2], [90, 5, 5]))
    batches = sampling.BalancedBatches(x, y, batch_size=50, rng=3, steps_per_epoch=40)
    drawn = np.concatenate([batches[i][0][:, 0, 0, 0] for i in range(len(batches))]).astype(int)
    per_class = np.bincount(y[drawn], minlength=3)
    # 2000 draws, 1/3 each: about 667, standard deviation 21
    assert np.all(np.abs(per_class - 2000 / 3) < 100), per_class
    # within a class, every sample is drawn (each of the 5 rare ones about 133 times)
    times = np.bincount(drawn, minlength=100)
    assert np.all(times[90:] > 60), times[90:]


def test_batches_are_deterministic_in_any_order():
    x, y = _indexed_data(np.repeat([0, 1], [20, 4]))
    a = sampling.BalancedBatches(x, y, batch_size=6, rng=5)
    b = sampling.BalancedBatches(x, y, batch_size=6, rng=5)
    last_first = [b[i][1] for i in reversed(range(len(b)))][::-1]
    for i in range(len(a)):
        np.testing.assert_array_equal(a[i][0], b[i][0])
        np.testing.assert_array_equal(a[i][1], last_first[i])
    c = sampling.BalancedBatches(x, y, batch_size=6, rng=6)
    assert not all(np.array_equal(a[i][0], c[i][0]) for i in range(len(a)))
    # a new epoch draws new batches
    before = a[0][0].copy()
    a.on_epoch_end()
    assert not np.array_equal(a[0][0], before)
    # pickled for multiprocessing workers: the same class and the same batches
    copy = pickle.loads(pickle.dumps(b))
    assert type(copy) is type(b)
    np.testing.assert_array_equal(copy[1][0], b[1][0])


def test_batches_errors_say_what_was_expected():
    BalancedBatches = sampling.BalancedBatches
    x, y = _indexed_data([0, 1, 1, 2])
    with pytest.raises(ValueError, match=r"x has 4 samples .* y has 3 labels"):
        BalancedBatches(x, y[:3])
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have no samples.*\[2, 0, 2\]"):
        BalancedBatches(x, [0, 2, 2, 0])
    with pytest.raises(TypeError, match="integer class indices"):
        BalancedBatches(x, [0.0, 1.0, 1.0, 2.0])
    with pytest.raises(TypeError, match="numeric array"):
        BalancedBatches(np.array(["a", "b", "c", "d"]), y)
    with pytest.raises(ValueError, match="batch_size as a positive int; got 0"):
        BalancedBatches(x, y, batch_size=0)
    with pytest.raises(ValueError, match="steps_per_epoch as a positive int; got 2.5"):
        BalancedBatches(x, y, steps_per_epoch=2.5)
    batches = BalancedBatches(x, y, batch_size=2)
    with pytest.raises(IndexError, match=r"batch index 2 out of range: expected 0\.\.1"):
        batches[2]
    with pytest.raises(TypeError, match="batch index as an int"):
        batches[0.5]


def test_batches_train_a_keras_model():
    import keras

    from cellcourse.models import linear_classifier

    rng = np.random.default_rng(0)
    x = rng.random((60, 8, 8, 3), dtype=np.float32)
    y = np.repeat([0, 1, 2], [48, 6, 6])
    keras.utils.set_random_seed(0)
    model = linear_classifier((8, 8, 3), 3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    batches = sampling.BalancedBatches(x, y, batch_size=16, rng=0)
    history = model.fit(batches, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    # fit called on_epoch_end: the next epoch draws other batches than a fresh dataset
    fresh = sampling.BalancedBatches(x, y, batch_size=16, rng=0)
    assert not np.array_equal(batches[0][0], fresh[0][0])
