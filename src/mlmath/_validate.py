"""Input checks shared by every ``mlmath`` module.

Each helper raises :class:`ValueError` with a message that names the
argument, says what was expected and shows what was given, so that a
student's mistake is reported in their terms and never as an ``IndexError``
from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(x, name: str, *, ndim=None, min_ndim=None, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a floating NumPy array, checking dimension and finiteness.

    Float arrays keep their dtype; integers, booleans and lists become float64.
    ``ndim`` may be an int or a tuple of allowed ints.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and other unconvertible input
        raise ValueError(f"{name} must be array-like of numbers, got {type(x).__name__}: {exc}") from exc
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of numbers, got a ragged or object array")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {int(np.sum(~np.isfinite(arr)))} non-finite entries")
    return arr


def check_nonempty(arr: np.ndarray, name: str) -> None:
    """Reject arrays with a zero-length axis."""
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as a Python int, rejecting floats, bools and values below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_scalar(value, name: str, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """Return ``value`` as a finite float inside the given (closed or open) bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Reject ``value`` unless it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Reject two arrays of different shapes (no silent broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}")


def result_dtype(*arrays: np.ndarray):
    """The floating dtype the result of combining ``arrays`` should have."""
    return np.result_type(*arrays)
