"""The small data sets the chapters train on, split the same way everywhere.

Only data that ships inside a package: scikit-learn's 8 x 8 handwritten
digits (1,797 images, 10 classes, pixel values 0..16). scikit-learn is
imported when a function is called (it is one of the book's dependencies,
not the library's).
"""

from __future__ import annotations

__all__ = ["digits"]


def digits(test_size: float = 0.25, seed: int = 0, images: bool = False):
    """``(X_train, X_test, y_train, y_test)``: the digits, scaled to [0, 1], split stratified by class.

    ``images=False`` gives rows of 64 pixels, ``(N, 64)``; ``images=True`` gives
    ``(N, 1, 8, 8)`` arrays for convolutional layers. Labels are integers 0..9.
    The split is scikit-learn's ``train_test_split(..., random_state=seed, stratify=y)``.
    """
    if not 0.0 < float(test_size) < 1.0:
        raise ValueError(f"test_size must be a fraction strictly between 0 and 1, got {test_size!r}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X = (data.images[:, None, :, :] if images else data.data) / 16.0
    return train_test_split(X, data.target, test_size=test_size, random_state=seed, stratify=data.target)
