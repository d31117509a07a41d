"""Regression tests for the errata appendix: each mistake found in the source
material, pinned to its correction so that it cannot slip back into the book
or the library. One test per erratum, named in chapters/appendices/errata.md."""

import numpy as np
import pytest
import torch

from mlmath.gradcheck import numerical_gradient
from mlmath.imaging import tv_smoothed, tv_value
from mlmath.layers import softmax, softmax_cross_entropy
from mlmath.signals import conv1d, conv_matrix


def test_slides_worked_convolution_has_five_samples():
    # Oracle: the definition y[n] = sum_k x[k] h[n-k], written out independently.
    x, h = [3, 1, 2], [3, 2, 1]
    by_definition = [sum(x[k] * h[n - k] for k in range(3) if 0 <= n - k < 3) for n in range(6)]
    assert by_definition[5] == 0  # the slides' sixth entry is outside the support
    np.testing.assert_array_equal(conv1d(x, h), by_definition[:5])
    assert len(conv1d(x, h)) == 5


def test_slides_linear_map_derivative_is_transpose_in_denominator_layout():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(2, 3))
    v = rng.normal(size=3)
    # Denominator layout, entry (i, j) = d u_j / d v_i, from finite differences of each u_j.
    den = np.column_stack([numerical_gradient(lambda vv, j=j: (W @ vv)[j], v) for j in range(2)])
    assert den.shape == (3, 2)
    np.testing.assert_allclose(den, W.T, atol=1e-9)


def test_homework_softmax_gradient_diagonal():
    z = np.array([2.0, 1.0, 0.1])
    zt = torch.tensor(z, requires_grad=True)
    torch.nn.functional.cross_entropy(zt[None], torch.tensor([0])).backward()
    p = softmax(z)
    np.testing.assert_allclose(zt.grad.numpy()[0], p[0] - 1, rtol=1e-14)  # p_gt - 1, not p_i - 1
    assert abs(zt.grad.numpy()[0] - (p[1] - 1)) > 0.1
    _, d = softmax_cross_entropy(z[None], [0])
    np.testing.assert_allclose(d[0], p - np.eye(3)[0], rtol=1e-14)
    jac = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), torch.from_numpy(z)).numpy()
    np.testing.assert_allclose(jac[0, 0], p[0] * (1 - p[0]), rtol=1e-14)


def test_same_mode_keeps_length_and_centres():
    x, h = np.arange(1.0, 6.0), np.array([1.0, 2.0, 3.0, 4.0])
    same = conv1d(x, h, "same")
    assert same.shape == x.shape
    np.testing.assert_allclose(same, np.convolve(x, h, "full")[1:6])
    np.testing.assert_allclose(conv_matrix(h, 5, "same") @ x, same)


@pytest.mark.parametrize("eps", [1e-3, 1e-2, 1e-1])
def test_tv_smoothing_by_adding_eps_keeps_the_kink(eps):
    step = 1e-9
    image = lambda t: np.array([[0.0, t]])
    right = (tv_value(image(step)) + eps - tv_value(image(0.0)) - eps) / step
    left = (tv_value(image(0.0)) + eps - tv_value(image(-step)) - eps) / step
    assert right == pytest.approx(1.0, abs=1e-6) and left == pytest.approx(-1.0, abs=1e-6)
    smooth_right = (tv_smoothed(image(step), eps)[0] - tv_smoothed(image(0.0), eps)[0]) / step
    assert abs(smooth_right) < 1e-4
    assert tv_smoothed(image(0.0), eps)[1][0, 1] == pytest.approx(0.0, abs=1e-15)
