"""mlmath.datasets: the digits split, the same in every chapter."""

import numpy as np
import pytest

from mlmath.datasets import digits


def test_digits_are_scaled_split_and_stratified():
    X_train, X_test, y_train, y_test = digits()
    assert X_train.shape[1] == 64 and len(X_train) + len(X_test) == 1797
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0 and X_train.max() == 1.0
    assert abs(len(X_test) / 1797 - 0.25) < 0.01
    train_share, test_share = np.bincount(y_train) / len(y_train), np.bincount(y_test) / len(y_test)
    assert np.abs(train_share - test_share).max() < 0.01  # stratified


def test_images_have_the_layout_of_a_convolutional_layer_and_the_same_split():
    flat = digits(seed=3)
    images = digits(seed=3, images=True)
    assert images[0].shape[1:] == (1, 8, 8)
    np.testing.assert_array_equal(images[0].reshape(len(images[0]), 64), flat[0])
    np.testing.assert_array_equal(images[2], flat[2])


def test_a_test_size_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="test_size"):
        digits(test_size=1.5)
