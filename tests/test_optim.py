"""Tests for mlmath.optim: every optimizer against torch.optim, step by step, in float64."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from mlmath import optim
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
    [(SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)), (RMSprop, dict(lr=0.01, eps=1e-2)),
     (Adam, dict(lr=0.05)), (Adagrad, dict(lr=0.3))],
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
def test_large_parameter_spanning_several_blocks_matches_torch(cls, kwargs):
    n = 2 * optim._BLOCK + 1234
    _compare_with_torch(cls, kwargs, shapes=[(n,), (3, 7)], steps=5)


@pytest.mark.parametrize("cls, kwargs", [(SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
                                         (RMSprop, {}), (Adam, dict(lr=0.01)), (Adagrad, {})])
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
