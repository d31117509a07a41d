"""mlmath.gradcheck: central differences against known gradients and against torch, plus the errata
regression test that reads a derivative's layout off central differences (chapters/appendices/errata.md)."""

import numpy as np
import pytest
import torch

from mlmath.gradcheck import check_gradient, numerical_gradient, relative_error


def test_numerical_gradient_of_quadratic_form_matches_closed_form():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    x = rng.normal(size=5)
    np.testing.assert_allclose(numerical_gradient(lambda v: v @ A @ v, x), (A + A.T) @ x, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_matches_torch_autograd_on_matrix_input():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 4))
    Xt = torch.tensor(X, requires_grad=True)
    torch.logsumexp(torch.sin(Xt) * Xt, dim=(0, 1)).backward()
    f = lambda M: np.log(np.sum(np.exp(np.sin(M) * M)))
    np.testing.assert_allclose(numerical_gradient(f, X), Xt.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_numerical_gradient_error_is_second_order_in_eps():
    f, x = np.exp, np.array([0.3])
    errors = [abs(numerical_gradient(lambda v: f(v).sum(), x, eps=e)[0] - np.exp(0.3)) for e in (1e-2, 1e-3)]
    assert 50 < errors[0] / errors[1] < 200  # eps / 10 -> error / 100


def test_numerical_gradient_does_not_modify_input():
    x = np.array([1.0, 2.0])
    numerical_gradient(lambda v: (v**2).sum(), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_relative_error_definition():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0, 0.0], [3.0, 0.0]) == pytest.approx(2.0 / 4.0)


def test_check_gradient_separates_right_from_wrong_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3))
    f = lambda v: np.sum(np.tanh(v) ** 2)
    right = lambda v: 2 * np.tanh(v) * (1 - np.tanh(v) ** 2)
    wrong = lambda v: 2 * np.tanh(v)
    assert check_gradient(f, right, x) < 1e-8
    assert check_gradient(f, wrong, x) > 1e-2


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: numerical_gradient(3, np.ones(2)), "f"),
        (lambda: numerical_gradient(np.sum, np.ones(2), eps=0.0), "eps"),
        (lambda: numerical_gradient(lambda v: v, np.ones(2)), "scalar"),
        (lambda: relative_error(np.ones(2), np.ones(3)), "same shape"),
        (lambda: check_gradient(np.sum, lambda v: np.ones(3), np.ones(2)), "grad"),
        (lambda: check_gradient(np.sum, None, np.ones(2)), "grad"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_a_step_too_small_to_change_x_is_refused_not_a_perfect_zero():
    from mlmath.gradcheck import check_gradient, numerical_gradient

    with pytest.raises(ValueError, match="eps = 1e-06 does not change x at index 0"):
        numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1e12]))
    with pytest.raises(ValueError, match="does not change x"):
        check_gradient(lambda v: float(np.sum(v**2)), lambda v: 5 * v, np.array([1.0]), eps=1e-20)


def test_large_x_with_a_relative_step_is_accurate():
    from mlmath.gradcheck import numerical_gradient

    x = np.array([1e8])
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v**2)), x, eps=1.0), 2 * x, rtol=1e-7)


@pytest.mark.parametrize(("f", "message"), [(lambda v: None, "returned None"), (lambda v: v, "must return a scalar")])
def test_a_function_that_does_not_return_a_scalar_gets_a_clear_error(f, message):
    from mlmath.gradcheck import numerical_gradient

    with pytest.raises(ValueError, match=message):
        numerical_gradient(f, np.ones(3))


def test_check_vjp_accepts_a_right_backward_pass_and_rejects_a_wrong_one():
    from mlmath.gradcheck import check_vjp
    from mlmath.layers import tanh_backward, tanh_forward

    x = np.random.default_rng(0).normal(size=(4, 5))
    forward = lambda v: tanh_forward(v)[0]
    right = lambda dy, v: tanh_backward(dy, tanh_forward(v)[1])
    assert check_vjp(forward, right, x) < 1e-8
    assert check_vjp(forward, lambda dy, v: dy * (1 - np.tanh(v)), x) > 1e-3  # a wrong derivative
    with pytest.raises(ValueError, match="shape of x"):
        check_vjp(forward, lambda dy, v: dy.sum(), x)


# ----------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# The lecture slides (004): the layout of a derivative, read off central differences.


def test_slides_linear_map_derivative_is_transpose_in_denominator_layout():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(2, 3))
    v = rng.normal(size=3)
    # Denominator layout, entry (i, j) = d u_j / d v_i, from finite differences of each u_j.
    den = np.column_stack([numerical_gradient(lambda vv, j=j: (W @ vv)[j], v) for j in range(2)])
    assert den.shape == (3, 2)
    np.testing.assert_allclose(den, W.T, atol=1e-9)
