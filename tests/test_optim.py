"""Tests for mlmath.optim: every optimizer against torch.optim, step by step, in float64; plus the
regression tests of the optimisation errata (chapters/appendices/errata.md)."""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import sympy as sp
import torch
from numpy.testing import assert_allclose

from mlmath.optim import SGD, Adagrad, Adam, RMSprop

SHAPES = [(3, 4), (5,), (2, 3, 2)]
STEPS = 200
RTOL, ATOL = 1e-10, 1e-12

TORCH_CLASS = {SGD: torch.optim.SGD, RMSprop: torch.optim.RMSprop, Adam: torch.optim.Adam, Adagrad: torch.optim.Adagrad}


def _gradient_sequence(seed, shapes=SHAPES, steps=STEPS, dtype=np.float64):
    """A seeded list of gradient lists whose scale varies over three orders of magnitude."""
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.uniform(-2, 1, size=steps)
    return [[(scales[k] * rng.standard_normal(s)).astype(dtype) for s in shapes] for k in range(steps)]


def _initial_params(seed, shapes=SHAPES, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _compare_with_torch(cls, kwargs, *, seed=0, shapes=SHAPES, steps=STEPS, dtype=np.float64, rtol=RTOL, atol=ATOL):
    """Run ours and torch's on the same gradients; compare the iterates after every step."""
    ours = _initial_params(seed, shapes, dtype)
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in ours]
    opt, topt = cls(**kwargs), TORCH_CLASS[cls](theirs, **kwargs)
    for grads in _gradient_sequence(seed + 1, shapes, steps, dtype):
        opt.step(ours, grads)
        for t, g in zip(theirs, grads):
            t.grad = torch.from_numpy(g.copy())
        topt.step()
        for p, t in zip(ours, theirs):
            assert_allclose(p, t.detach().numpy(), rtol=rtol, atol=atol)
    return ours, opt


SGD_SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.0),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.01, momentum=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, weight_decay=0.1),
    dict(lr=0.02, momentum=0.99, nesterov=True, weight_decay=0.05),
]


@pytest.mark.parametrize("kwargs", SGD_SETTINGS, ids=str)
def test_sgd_iterates_match_torch(kwargs):
    _compare_with_torch(SGD, kwargs)


RMSPROP_SETTINGS = [
    dict(),
    dict(lr=0.001, alpha=0.0),
    dict(lr=0.01, alpha=0.5),
    dict(lr=0.05, alpha=0.9),
    dict(lr=0.01, alpha=0.999, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", RMSPROP_SETTINGS, ids=str)
def test_rmsprop_iterates_match_torch(kwargs):
    _compare_with_torch(RMSprop, kwargs)


ADAM_SETTINGS = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.01, betas=(0.5, 0.9)),
    dict(lr=0.01, betas=(0.0, 0.0)),
    dict(lr=0.01, betas=(0.99, 0.5)),
    dict(lr=0.05, betas=(0.9, 0.999), eps=1e-2),
    dict(lr=0.001, eps=0.0),
]


@pytest.mark.parametrize("kwargs", ADAM_SETTINGS, ids=str)
def test_adam_iterates_match_torch(kwargs):
    _compare_with_torch(Adam, kwargs)


ADAGRAD_SETTINGS = [dict(), dict(lr=0.5), dict(lr=0.1, eps=1e-3)]


@pytest.mark.parametrize("kwargs", ADAGRAD_SETTINGS, ids=str)
def test_adagrad_iterates_match_torch(kwargs):
    _compare_with_torch(Adagrad, kwargs)


@pytest.mark.parametrize(
    "cls, kwargs",
    # RMSprop with a tiny eps oscillates chaotically around the minimum (lr / sqrt(v) blows up as g -> 0)
    # and amplifies 1e-16 round-off to 1e-8 within 150 steps in *any* two implementations; eps = 1e-2
    # keeps the map contracting, so the comparison tests the update rule, not the chaos.
    [
        (SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
        (RMSprop, dict(lr=0.01, eps=1e-2)),
        (Adam, dict(lr=0.05)),
        (Adagrad, dict(lr=0.3)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_iterates_match_torch_on_a_quadratic_with_feedback(cls, kwargs):
    """Each side's gradient is computed (by the same NumPy code) from its own iterate, so any
    difference in the update rule would feed back and grow."""
    rng = np.random.default_rng(7)
    B = rng.standard_normal((6, 6))
    A, b = B @ B.T / 6 + 0.1 * np.eye(6), rng.standard_normal(6)
    x = np.zeros(6)
    tx = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    opt, topt = cls(**kwargs), TORCH_CLASS[cls]([tx], **kwargs)
    for _ in range(STEPS):
        opt.step([x], [A @ x - b])
        tx.grad = torch.from_numpy(A @ tx.detach().numpy() - b)
        topt.step()
        assert_allclose(x, tx.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls, kwargs", [(SGD, dict(lr=0.1, momentum=0.9)), (RMSprop, {}), (Adam, {}), (Adagrad, {})])
def test_a_large_parameter_matches_torch(cls, kwargs):
    _compare_with_torch(cls, kwargs, shapes=[(200_000,), (3, 7)], steps=5)


@pytest.mark.parametrize("cls", [RMSprop, Adam, Adagrad])
def test_eps_zero_gives_a_zero_step_for_a_zero_gradient_not_nan(cls):
    p = np.array([1.0, 2.0])
    opt = cls(eps=0.0)
    opt.step([p], [np.array([0.0, 0.5])])
    assert p[0] == 1.0 and p[1] < 2.0 and np.all(np.isfinite(p))


@pytest.mark.parametrize(
    "cls, kwargs",
    [(SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)), (RMSprop, {}), (Adam, dict(lr=0.01)), (Adagrad, {})],
)
def test_float32_params_stay_float32_and_match_torch_float32(cls, kwargs):
    ours, opt = _compare_with_torch(cls, kwargs, dtype=np.float32, steps=50, rtol=1e-4, atol=1e-5)
    assert all(p.dtype == np.float32 for p in ours)
    buffers = [v for st in opt.state.values() for v in st.values() if isinstance(v, np.ndarray)]
    assert all(b.dtype == np.float32 for b in buffers)


def test_float64_gradients_are_cast_to_float32_params():
    p = np.ones(4, dtype=np.float32)
    Adam(lr=0.1).step([p], [np.array([1.0, -1.0, 2.0, 0.0])])
    assert p.dtype == np.float32
    assert_allclose(p, [0.9, 1.1, 0.9, 1.0], rtol=1e-6)  # Adam's first step is lr * sign(g)


def test_update_is_in_place_and_gradients_untouched():
    p = np.arange(6.0).reshape(2, 3)
    alias = p
    g = np.ones((2, 3))
    g_before = g.copy()
    SGD(lr=0.5, weight_decay=0.1).step([p], [g])
    assert alias is p
    assert_allclose(p, np.arange(6.0).reshape(2, 3) - 0.5 * (1 + 0.1 * np.arange(6.0).reshape(2, 3)), rtol=1e-15)
    assert_allclose(g, g_before, rtol=0)


def test_non_contiguous_parameter_is_updated_in_place():
    base = np.arange(12.0).reshape(3, 4)
    view = base.T  # Fortran-ordered view into base
    tview = torch.tensor(np.ascontiguousarray(view), requires_grad=True)
    opt, topt = Adam(lr=0.1), torch.optim.Adam([tview], lr=0.1)
    rng = np.random.default_rng(3)
    for _ in range(10):
        g = rng.standard_normal(view.shape)
        opt.step([view], [g])
        tview.grad = torch.from_numpy(g)
        topt.step()
    assert_allclose(base.T, tview.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_state_is_created_lazily_per_parameter_with_torch_names():
    opt = Adam()
    assert opt.state == {}
    params = _initial_params(0)
    opt.step(params, _gradient_sequence(1, steps=1)[0])
    assert sorted(opt.state) == [0, 1, 2]
    assert opt.state[1]["step"] == 1
    assert opt.state[2]["exp_avg_sq"].shape == SHAPES[2]
    assert set(SGD(lr=0.1, momentum=0.9)._buffers) == {"momentum_buffer"}


def test_sgd_momentum_buffer_is_a_geometric_sum_not_an_average():
    """Constant gradient 1: torch's buffer tends to 1 / (1 - momentum) = 10, not to 1."""
    p = np.zeros(1)
    opt = SGD(lr=0.0, momentum=0.9)
    for _ in range(400):
        opt.step([p], [np.ones(1)])
    assert_allclose(opt.state[0]["momentum_buffer"], [10.0], rtol=1e-12)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: SGD(lr=-0.1), "lr"),
        (lambda: SGD(lr=0.1, momentum=-0.5), "momentum"),
        (lambda: SGD(lr=0.1, nesterov=True), "nesterov"),
        (lambda: SGD(lr=0.1, momentum=0.9, nesterov="yes"), "nesterov"),
        (lambda: SGD(lr=0.1, weight_decay=-1e-4), "weight_decay"),
        (lambda: SGD(lr=float("nan")), "lr"),
        (lambda: RMSprop(lr=-1.0), "lr"),
        (lambda: RMSprop(alpha=1.0), "alpha"),
        (lambda: RMSprop(alpha=-0.1), "alpha"),
        (lambda: RMSprop(eps=-1e-8), "eps"),
        (lambda: Adam(lr=-1e-3), "lr"),
        (lambda: Adam(betas=(1.0, 0.999)), r"betas\[0\]"),
        (lambda: Adam(betas=(0.9, -0.1)), r"betas\[1\]"),
        (lambda: Adam(betas=(0.9,)), "betas"),
        (lambda: Adam(betas=0.9), "betas"),
        (lambda: Adam(eps=-1.0), "eps"),
        (lambda: Adagrad(lr=-0.01), "lr"),
        (lambda: Adagrad(eps=-1.0), "eps"),
    ],
)
def test_bad_hyperparameters_raise_value_error_naming_them(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


@pytest.mark.parametrize("cls", [lambda: SGD(lr=0.1, momentum=0.9), RMSprop, Adam, Adagrad])
def test_step_rejects_mismatched_lists_and_shapes(cls):
    opt = cls()
    p = [np.zeros(3), np.zeros((2, 2))]
    with pytest.raises(ValueError, match="same length"):
        opt.step(p, [np.zeros(3)])
    with pytest.raises(ValueError, match=r"params\[1\] and grads\[1\]"):
        opt.step(p, [np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="params must be a list"):
        opt.step(np.zeros(3), [np.zeros(3)])
    with pytest.raises(ValueError, match="grads must be a list"):
        opt.step([np.zeros(3)], np.zeros(3))
    with pytest.raises(ValueError, match=r"params\[0\].*floating"):
        opt.step([np.zeros(3, dtype=int)], [np.zeros(3)])
    with pytest.raises(ValueError, match=r"params\[0\].*NumPy array"):
        opt.step([[0.0, 0.0]], [np.zeros(2)])
    assert_allclose(p[0], 0.0)  # nothing was updated by the failed calls
    assert opt.state == {}


def test_step_rejects_a_parameter_whose_shape_changed_and_updates_nothing():
    opt = Adam()
    params = [np.zeros(3), np.zeros(2)]
    opt.step(params, [np.ones(3), np.ones(2)])
    before = [p.copy() for p in params]
    with pytest.raises(ValueError, match=r"params\[1\].*same order"):
        opt.step([params[0], np.zeros(5)], [np.ones(3), np.ones(5)])
    assert_allclose(params[0], before[0], rtol=0)
    assert opt.state[0]["step"] == 1


def test_step_rejects_read_only_parameter():
    p = np.zeros(3)
    p.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\].*writeable"):
        SGD(lr=0.1).step([p], [np.ones(3)])


# ---------------------------------------------------------------- helpers: trajectory, averaging, natural gradient

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mlmath.optim import logistic_fisher, natural_gradient, polyak_average, trajectory  # noqa: E402


def test_trajectory_of_gradient_descent_on_a_quadratic_is_the_matrix_power():
    rng = np.random.default_rng(11)
    B = rng.standard_normal((4, 4))
    A = B @ B.T + np.eye(4)
    x0 = rng.standard_normal(4)
    lr = 1.0 / np.linalg.eigvalsh(A).max()
    xs = trajectory(SGD(lr), lambda x: A @ x, x0, 30)
    assert xs.shape == (31, 4)
    M = np.eye(4) - lr * A
    for t in (0, 1, 7, 30):
        assert_allclose(xs[t], np.linalg.matrix_power(M, t) @ x0, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "cls, kwargs",
    [(SGD, dict(lr=0.05, momentum=0.9, nesterov=True)), (Adam, dict(lr=0.05)), (RMSprop, dict(lr=0.01, eps=1e-2))],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_trajectory_matches_a_torch_optimizer_loop(cls, kwargs):
    rng = np.random.default_rng(12)
    B = rng.standard_normal((5, 5))
    A, b = B @ B.T / 5 + 0.1 * np.eye(5), rng.standard_normal(5)
    x0 = rng.standard_normal(5)
    xs = trajectory(cls(**kwargs), lambda x: A @ x - b, x0, 100)
    tx = torch.tensor(x0, requires_grad=True)
    topt = TORCH_CLASS[cls]([tx], **kwargs)
    expected = [x0]
    for _ in range(100):
        tx.grad = torch.from_numpy(A @ tx.detach().numpy() - b)
        topt.step()
        expected.append(tx.detach().numpy().copy())
    assert_allclose(xs, np.array(expected), rtol=1e-10, atol=1e-12)
    assert_allclose(x0, xs[0], rtol=0)  # x0 untouched, row 0 is a copy


def test_trajectory_keeps_float32_and_continues_from_the_optimizer_state():
    opt = SGD(0.1, momentum=0.9)
    grad = lambda x: 2 * x
    x0 = np.ones(3, dtype=np.float32)
    first = trajectory(opt, grad, x0, 5)
    second = trajectory(opt, grad, first[-1], 5)
    whole = trajectory(SGD(0.1, momentum=0.9), grad, x0, 10)
    assert first.dtype == np.float32
    assert_allclose(np.concatenate([first, second[1:]]), whole, rtol=1e-6)


def test_trajectory_rejects_bad_input():
    with pytest.raises(ValueError, match="optimizer"):
        trajectory(torch.optim.SGD, lambda x: x, np.zeros(2), 3)
    with pytest.raises(ValueError, match="grad"):
        trajectory(SGD(0.1), "not callable", np.zeros(2), 3)
    with pytest.raises(ValueError, match="steps"):
        trajectory(SGD(0.1), lambda x: x, np.zeros(2), -1)
    with pytest.raises(ValueError, match="x0"):
        trajectory(SGD(0.1), lambda x: x, [np.nan, 0.0], 3)
    with pytest.raises(ValueError, match=r"grad\(x\)"):
        trajectory(SGD(0.1), lambda x: np.zeros(3), np.zeros(2), 3)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(T=st.integers(1, 30), d=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_polyak_average_is_the_mean_of_each_prefix(T, d, seed):
    x = np.random.default_rng(seed).standard_normal((T, d))
    expected = np.array([x[: t + 1].mean(axis=0) for t in range(T)])
    assert_allclose(polyak_average(x), expected, rtol=1e-12, atol=1e-14)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(T=st.integers(1, 30), beta=st.floats(0.01, 1.0), seed=st.integers(0, 10_000))
def test_polyak_average_with_beta_is_the_exponential_moving_average(T, beta, seed):
    import scipy.signal

    x = np.random.default_rng(seed).standard_normal((T, 3))
    # Oracle: the IIR filter y_t = (1 - beta) y_{t-1} + beta x_t started at y_1 = x_1.
    zi = (1.0 - beta) * x[0][None, :]
    expected, _ = scipy.signal.lfilter([beta], [1.0, -(1.0 - beta)], x, axis=0, zi=zi)
    assert_allclose(polyak_average(x, beta), expected, rtol=1e-12, atol=1e-13)


def test_polyak_average_with_beta_one_over_t_equals_the_arithmetic_mean():
    x = np.random.default_rng(5).standard_normal((50, 2))
    ema = np.empty_like(x)
    ema[0] = x[0]
    for t in range(1, 50):
        ema[t] = polyak_average(np.stack([ema[t - 1], x[t]]), beta=1.0 / (t + 1))[1]
    assert_allclose(ema, polyak_average(x), rtol=1e-12)


def test_polyak_average_rejects_bad_input():
    with pytest.raises(ValueError, match="iterates"):
        polyak_average(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="iterates"):
        polyak_average(3.0)
    with pytest.raises(ValueError, match="beta"):
        polyak_average(np.zeros(4), beta=0.0)
    with pytest.raises(ValueError, match="beta"):
        polyak_average(np.zeros(4), beta=1.5)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(d=st.integers(1, 6), damping=st.sampled_from([0.0, 1e-3, 1.0]), seed=st.integers(0, 10_000))
def test_natural_gradient_solves_the_damped_fisher_system(d, damping, seed):
    import scipy.linalg

    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d + 2))
    F, g = B @ B.T / (d + 2), rng.standard_normal(d)
    direction = natural_gradient(g, F, damping)
    assert_allclose(direction, scipy.linalg.solve(F + damping * np.eye(d), g, assume_a="pos"), rtol=1e-9, atol=1e-12)


def test_natural_gradient_rejects_bad_input():
    with pytest.raises(ValueError, match="grad"):
        natural_gradient(np.zeros((2, 2)), np.eye(2))
    with pytest.raises(ValueError, match="fisher"):
        natural_gradient(np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="fisher"):
        natural_gradient(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="damping > 0"):
        natural_gradient(np.ones(2), np.array([[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="damping"):
        natural_gradient(np.ones(2), np.eye(2), damping=-1.0)


def test_logistic_fisher_equals_the_autograd_hessian_and_the_expected_score_outer_product():
    rng = np.random.default_rng(13)
    X, w = rng.standard_normal((40, 3)), rng.standard_normal(3)
    F = logistic_fisher(X, w)
    # Oracle 1: the Hessian of the mean negative log-likelihood (labels do not matter).
    y = torch.from_numpy(rng.integers(0, 2, 40).astype(float))
    nll = lambda wt: torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(X) @ wt, y)
    H = torch.autograd.functional.hessian(nll, torch.from_numpy(w)).numpy()
    assert_allclose(F, H, rtol=1e-12, atol=1e-14)
    # Oracle 2: E_{y ~ model}[score score^T], the expectation over y in {0, 1} written out.
    s = 1 / (1 + np.exp(-X @ w))
    expected = (
        sum(np.outer(((yv - s[n]) * X[n]), ((yv - s[n]) * X[n])) * (s[n] if yv else 1 - s[n]) for n in range(40) for yv in (0, 1))
        / 40
    )
    assert_allclose(F, expected, rtol=1e-12, atol=1e-14)


def test_logistic_fisher_is_accurate_for_large_logits():
    X = np.array([[40.0], [-40.0]])
    F = logistic_fisher(X, np.array([1.0]))
    # sigmoid(40) sigmoid(-40) = e^-40 / (1 + e^-40)^2; the naive s (1 - s) gives 0 in float64.
    assert_allclose(F, [[1600.0 * np.exp(-40) / (1 + np.exp(-40)) ** 2]], rtol=1e-12)


def test_logistic_fisher_rejects_bad_input():
    with pytest.raises(ValueError, match="X"):
        logistic_fisher(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="X"):
        logistic_fisher(np.zeros((0, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="w"):
        logistic_fisher(np.zeros((4, 3)), np.zeros(2))


# ---------------------------------------------------------------- helpers: Rosenbrock, heavy-ball iteration matrix

from mlmath.optim import heavy_ball_matrix, rosenbrock, rosenbrock_grad  # noqa: E402


@pytest.mark.parametrize("d", [2, 3, 6])
def test_rosenbrock_equals_scipy_and_its_gradient_equals_autograd(d):
    import scipy.optimize

    theta = np.random.default_rng(21 + d).normal(size=(7, d)) * 1.5
    assert_allclose(rosenbrock(theta), [scipy.optimize.rosen(t) for t in theta], rtol=1e-14)
    tt = torch.tensor(theta, requires_grad=True)
    a, b = 0.7, 30.0
    f = torch.sum((a - tt[:, :-1]) ** 2 + b * (tt[:, 1:] - tt[:, :-1] ** 2) ** 2)
    f.backward()
    assert_allclose(rosenbrock_grad(theta, a, b), tt.grad.numpy(), rtol=1e-13, atol=1e-12)
    assert_allclose(
        rosenbrock(theta, a, b),
        torch.sum((a - tt[:, :-1]) ** 2 + b * (tt[:, 1:] - tt[:, :-1] ** 2) ** 2, 1).detach().numpy(),
        rtol=1e-14,
    )


def test_rosenbrock_grad_matches_central_finite_differences_and_vanishes_at_the_minimum():
    theta, h = np.array([-1.2, 1.0]), 1e-6
    fd = np.array([(rosenbrock(theta + h * e) - rosenbrock(theta - h * e)) / (2 * h) for e in np.eye(2)])
    assert_allclose(rosenbrock_grad(theta), fd, rtol=1e-8)
    # the two-dimensional formula written out: (-2(1 - x) - 400 x (y - x^2), 200 (y - x^2))
    x, y = theta
    assert_allclose(rosenbrock_grad(theta), [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], rtol=1e-15)
    assert rosenbrock([2.0, 4.0], a=2.0) == 0.0 and np.all(rosenbrock_grad([2.0, 4.0], a=2.0) == 0.0)
    assert rosenbrock_grad(theta).shape == (2,) and rosenbrock(theta).shape == ()


def test_rosenbrock_rejects_bad_input():
    with pytest.raises(ValueError, match="theta"):
        rosenbrock([1.0])
    with pytest.raises(ValueError, match="theta"):
        rosenbrock_grad(np.zeros((3, 1)))
    assert np.isnan(rosenbrock([np.nan, 1.0])) and np.isinf(
        rosenbrock_grad([np.inf, 1.0])[1]
    )  # propagate, as a diverging run needs
    with pytest.raises(ValueError, match="b"):
        rosenbrock([0.0, 0.0], b=np.inf)


@pytest.mark.parametrize("eta, beta, lam", [(0.1, 0.9, 1.0), (0.01, 0.5, 30.0), (0.3, 0.0, 2.0), (0.05, 0.99, -0.5)])
def test_heavy_ball_matrix_powers_are_the_iterates_of_sgd_with_momentum(eta, beta, lam):
    """(c_t, c_{t-1}) = M^t (c_0, c_0): the state ordering of the docstring, and torch's zero buffer."""
    c0, T = 1.3, 40
    xs = trajectory(SGD(lr=eta, momentum=beta), lambda c: lam * c, [c0], T)[:, 0]
    M = heavy_ball_matrix(eta, beta, lam)
    for t in (1, 2, 7, T):
        state = np.linalg.matrix_power(M, t) @ np.array([c0, c0])
        assert_allclose(state, [xs[t], xs[t - 1]], rtol=1e-10, atol=1e-13)
    # the same iterates from torch.optim.SGD
    p = torch.tensor([c0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta, momentum=beta)
    for _ in range(T):
        p.grad = lam * p.detach().clone()
        opt.step()
    assert_allclose(p.item(), xs[-1], rtol=1e-10, atol=1e-13)


def test_heavy_ball_matrix_is_vectorised_over_lam_and_has_the_characteristic_polynomial():
    lams = np.linspace(0.5, 20.0, 9).reshape(3, 3)
    M = heavy_ball_matrix(0.1, 0.8, lams)
    assert M.shape == (3, 3, 2, 2)
    assert_allclose(M[1, 2], heavy_ball_matrix(0.1, 0.8, lams[1, 2]), rtol=0)
    # z^2 - (1 + beta - eta lam) z + beta: trace and determinant
    assert_allclose(np.trace(M, axis1=-2, axis2=-1), 1.8 - 0.1 * lams, rtol=1e-15)
    assert_allclose(np.linalg.det(M), 0.8, rtol=1e-14)
    # stable iff 0 < eta lam < 2 (1 + beta) (Jury): just inside and just outside the edge
    edge = 2 * 1.8 / 0.1
    radius = lambda lam: np.abs(np.linalg.eigvals(heavy_ball_matrix(0.1, 0.8, lam))).max()
    assert radius(edge * 0.999) < 1 < radius(edge * 1.001)


def test_heavy_ball_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="eta"):
        heavy_ball_matrix(np.nan, 0.9, 1.0)
    with pytest.raises(ValueError, match="beta"):
        heavy_ball_matrix(0.1, "x", 1.0)
    with pytest.raises(ValueError, match="lam"):
        heavy_ball_matrix(0.1, 0.9, [1.0, np.inf])


# ----------------------------------------------------------------
# Errata regression tests (chapters/appendices/errata.md)
# The cheat sheet (002), 2 "Analysis" and 11.3 "Gradient Descent": each test asserts the corrected
# statement against an independent oracle (torch, SymPy, SciPy, or the definition written out) and
# checks that the cheat sheet's version fails.

# analysis and convexity


def test_cheatsheet_strict_convexity_does_not_give_a_minimiser():
    # exp is strictly convex (second derivative > 0) but has no minimiser: inf exp = 0 is not attained.
    x = sp.symbols("x", real=True)
    assert sp.diff(sp.exp(x), x, 2) == sp.exp(x) and sp.exp(x).is_positive
    assert sp.limit(sp.exp(x), x, -sp.oo) == 0
    assert sp.solve(sp.Eq(sp.diff(sp.exp(x), x), 0), x) == []  # no stationary point, hence no minimiser
    # Gradient descent on exp keeps decreasing x for ever.
    xs = trajectory(SGD(lr=1.0), np.exp, [0.0], 1000)[:, 0]
    assert np.all(np.diff(xs) < 0) and xs[-1] < -6


def test_cheatsheet_step_one_over_L_reaches_a_stationary_point_not_a_minimum():
    # f(x1, x2) = x1^2/2 + cos(x2) is 1-smooth; GD with step 1/L = 1 from (1, 0) converges to the saddle (0, 0).
    xs = trajectory(SGD(lr=1.0), lambda x: np.array([x[0], -np.sin(x[1])]), [1.0, 0.0], 60)
    H_end = torch.autograd.functional.hessian(lambda z: z[0] ** 2 / 2 + torch.cos(z[1]), torch.from_numpy(xs[-1])).numpy()
    assert np.linalg.norm(xs[-1]) < 1e-15 and np.linalg.eigvalsh(H_end).min() < 0  # a saddle, not a minimum
    # f(x) = log(1 + e^{-x}) is 1/4-smooth and bounded below, has no minimiser: iterates diverge, gradients -> 0.
    xs = trajectory(SGD(lr=4.0), lambda x: -1 / (1 + np.exp(x)), [0.0], 5000)[:, 0]
    assert np.all(np.diff(xs) > 0) and xs[-1] > 8 and 1 / (1 + np.exp(xs[-1])) < 1e-3
    # The descent lemma's guarantee does hold: f(x_{t+1}) <= f(x_t) - |f'(x_t)|^2 / (2L).
    f = np.log1p(np.exp(-xs))
    g = -1 / (1 + np.exp(xs))
    assert np.all(f[1:] <= f[:-1] - g[:-1] ** 2 / (2 * 0.25) + 1e-15)


def test_cheatsheet_gradient_descent_is_the_euler_discretisation_of_the_flow():
    # Sheet: "Gradient flow can be seen as the numerical integration of the ODE x' = -grad f(x)". The flow is the
    # ODE's exact solution; GD is its forward-Euler integration, with global error O(eta).
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    x0 = np.array([1.0, -1.0])
    sol = scipy.integrate.solve_ivp(lambda t, x: -A @ x, (0, 1), x0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sol.y[:, -1], scipy.linalg.expm(-A) @ x0, rtol=1e-9)
    errors = []
    for eta in (0.1, 0.05, 0.025, 0.0125):
        gd = trajectory(SGD(lr=eta), lambda x: A @ x, x0, round(1 / eta))[-1]
        errors.append(np.linalg.norm(gd - scipy.linalg.expm(-A) @ x0))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all(np.abs(ratios - 2) < 0.15)  # first order: halving eta halves the error
    assert errors[-1] > 1e-3  # so GD is not the flow


# SGD


def test_cheatsheet_polyak_average_with_fixed_beta_is_an_ema_not_the_mean():
    # Sheet: theta_bar_t = (1/t) sum theta_i  "or"  (1 - beta) theta_bar_{t-1} + beta theta_t. With fixed beta the
    # second is an exponential moving average whose variance does not vanish; only beta = 1/t gives the mean.
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(4000, 2000))  # iterates fluctuating around 0 with variance 1 (2000 runs)
    mean = polyak_average(noise)[-1]
    ema = polyak_average(noise, beta=0.05)[-1]
    np.testing.assert_allclose(mean, noise.mean(axis=0), rtol=1e-10, atol=1e-13)
    assert abs(mean.var() - 1 / 4000) < 0.15 / 4000  # 1/t
    assert abs(ema.var() - 0.05 / (2 - 0.05)) < 0.15 * 0.05 / (2 - 0.05)  # beta / (2 - beta), a floor
    assert ema.var() > 50 * mean.var()


# momentum


def test_cheatsheet_momentum_buffer_is_a_geometric_sum_not_an_average():
    # Sheet: "velocity vector v (exponential moving average of past gradients)". torch's buffer b = mu b + g is a sum.
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.0, momentum=0.9)
    for _ in range(300):
        p.grad = torch.ones(1)
        opt.step()
    assert abs(opt.state[p]["momentum_buffer"].item() - 10.0) < 1e-9  # 1 / (1 - 0.9), not 1
    ours = SGD(lr=0.0, momentum=0.9)
    z = np.zeros(1)
    for _ in range(300):
        ours.step([z], [np.ones(1)])
    assert abs(ours.state[0]["momentum_buffer"][0] - 10.0) < 1e-9
    # The sheet's own heavy-ball formula is the sum form (same iterates as torch, lr 0.1).
    grad = lambda x: np.array([1.0, 10.0]) * x
    th_prev = th = np.array([1.0, 1.0])
    sheet = [th]
    for _ in range(50):
        th, th_prev = th - 0.05 * grad(th) + 0.9 * (th - th_prev), th
        sheet.append(th)
    np.testing.assert_allclose(np.array(sheet), trajectory(SGD(0.05, momentum=0.9), grad, [1.0, 1.0], 50), rtol=1e-12, atol=1e-14)


def test_cheatsheet_momentum_beta_must_be_below_one():
    # Sheet: beta in [0, 1]. At beta = 1 the roots of z^2 - (2 - eta lam) z + 1 have product 1: no convergence.
    for eta_lam in np.linspace(0.01, 6, 300):
        roots = np.roots([1.0, -(2.0 - eta_lam), 1.0])
        assert np.max(np.abs(roots)) >= 1 - 1e-9
    xs = trajectory(SGD(lr=0.1, momentum=1.0), lambda x: np.array([1.0, 10.0]) * x, [1.0, 1.0], 4000)
    assert np.linalg.norm(xs[-500:], axis=1).max() > 0.5
    ok = trajectory(SGD(lr=0.1, momentum=0.99), lambda x: np.array([1.0, 10.0]) * x, [1.0, 1.0], 4000)
    assert np.linalg.norm(ok[-1]) < 1e-6


# RMSProp and Adam


def test_cheatsheet_rmsprop_eps_inside_the_root_differs_from_torch():
    # Sheet: theta <- theta - alpha / sqrt(E[g^2] + eps) g. torch (and mlmath): g / (sqrt(v) + eps).
    g, lr, alpha, eps = 1e-4, 0.01, 0.99, 1e-8
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps)
    p.grad = torch.tensor([g])
    opt.step()
    torch_step = -p.item()
    v = (1 - alpha) * g**2
    np.testing.assert_allclose(torch_step, lr * g / (np.sqrt(v) + eps), rtol=1e-12)
    sheet_step = lr * g / np.sqrt(v + eps)
    assert 9.5 < torch_step / sheet_step < 10.5
    ours = np.zeros(1)
    RMSprop(lr=lr, alpha=alpha, eps=eps).step([ours], [np.array([g])])
    np.testing.assert_allclose(-ours[0], torch_step, rtol=1e-12)


def _torch_adam(grads, **kw):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], **kw)
    out = []
    for g in grads:
        p.grad = torch.tensor([float(g)])
        opt.step()
        out.append(p.item())
    return np.array(out)


def test_cheatsheet_adam_needs_the_v_hat_correction():
    # Sheet divides by sqrt(v_t + eps): without v_hat the first step (beta2 = 0.999) is 1/sqrt(1 - beta2) = 31.6 lr.
    lr = 1e-3
    torch_first = -_torch_adam([1.0], lr=lr)[0]
    np.testing.assert_allclose(torch_first, lr, rtol=1e-7)  # bias-corrected: lr * sign(g)
    m1, v1 = 0.1 * 1.0, 0.001 * 1.0
    no_v_hat = lr * (m1 / 0.1) / np.sqrt(v1)
    np.testing.assert_allclose(no_v_hat / lr, 1 / np.sqrt(1e-3), rtol=1e-12)
    assert no_v_hat / torch_first > 30
    ours = np.zeros(1)
    Adam(lr=lr).step([ours], [np.ones(1)])
    np.testing.assert_allclose(-ours[0], torch_first, rtol=1e-12)


def test_torch_optimizers_reject_the_hyperparameters_mlmath_rejects():
    # Consistency of the API contract: beta = 1 (the sheet's closed interval) is rejected by both libraries.
    with pytest.raises(ValueError):
        torch.optim.Adam([torch.zeros(1, requires_grad=True)], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="betas"):
        Adam(betas=(1.0, 0.999))
