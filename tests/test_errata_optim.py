"""Regression tests for the errata of the optimisation part (cheat sheet, seeds/002_*.txt).

Each test is named after one erratum in /work/notes/errata_optim.md: it asserts the
corrected statement against an independent oracle (torch, SymPy, SciPy, or the
definition written out) and checks that the cheat sheet's version fails.
"""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import sympy as sp
import torch

from mlmath.optim import SGD, Adam, RMSprop, polyak_average, trajectory

# ---------------------------------------------------------------- analysis and convexity


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


# ---------------------------------------------------------------- SGD


def _mse_recursion(alphas, a=1.0, sigma2=1.0, e0=1.0):
    """Exact E[e_t^2] for e_{t+1} = (1 - alpha_t a) e_t + alpha_t xi_t, xi iid with variance sigma2."""
    m, out = e0**2, []
    for alpha in alphas:
        m = (1 - alpha * a) ** 2 * m + alpha**2 * sigma2
        out.append(m)
    return np.array(out)


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


# ---------------------------------------------------------------- momentum


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


# ---------------------------------------------------------------- RMSProp and Adam


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


def _adam_sheet(grads, lr, beta, eps, correct_v=False, eps_inside=True):
    """The cheat sheet's Adam: one beta, m_hat corrected, v uncorrected, eps inside the root."""
    m = v = 0.0
    x, out = 0.0, []
    for t, g in enumerate(grads, start=1):
        m = beta * m + (1 - beta) * g
        v = beta * v + (1 - beta) * g * g
        v_used = v / (1 - beta**t) if correct_v else v
        x -= lr * (m / (1 - beta**t)) / (np.sqrt(v_used + eps) if eps_inside else np.sqrt(v_used) + eps)
        out.append(x)
    return np.array(out)


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
