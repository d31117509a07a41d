"""Coding exercises of the part *Optimization* (convexity, SGD, momentum, adaptive methods, natural gradient).

Several exercises take a gradient function ``grad(x)``. In the cases it is a
:class:`_Gradient`: a callable whose ``repr`` states the function, so a
report names it (``grad: x -> A @ x - b (A = [[2.]], b = [1.])``) instead of
printing a memory address.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..optim import SGD, Adagrad, Adam, logistic_fisher, polyak_average, trajectory
from ._checker import Case, Exercise, register


class _Gradient:
    """A gradient function ``x -> grad f(x)`` (float64 out) with a readable ``repr``."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], text: str) -> None:
        self._fn = fn
        self._text = text

    def __call__(self, x) -> np.ndarray:
        return np.asarray(self._fn(np.asarray(x, dtype=float)), dtype=float)

    def __repr__(self) -> str:
        return self._text


def _short(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, separator=", ")


def _quadratic(A, b) -> _Gradient:
    """The gradient ``A x - b`` of ``f(x) = x^T A x / 2 - b^T x``."""
    A, b = np.array(A, dtype=float), np.array(b, dtype=float)
    if A.shape[0] <= 2:
        text = f"grad: x -> A @ x - b (A = {_short(A)}, b = {_short(b)})"
    else:
        lam = np.linalg.eigvalsh(A)
        text = f"grad: x -> A @ x - b (A a {A.shape[0]}x{A.shape[0]} SPD matrix with eigenvalues {lam[0]:.3g} to {lam[-1]:.3g}, b = {_short(b)})"
    return _Gradient(lambda x: A @ x - b, text)


def _diagonal(lams) -> _Gradient:
    """The gradient ``lams * x`` of ``f(x) = sum(lams x^2) / 2`` (diagonal Hessian)."""
    lams = np.array(lams, dtype=float)
    return _Gradient(lambda x: lams * x, f"grad: x -> lams * x (lams = {_short(lams)})")


def _rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


ROSENBROCK = _Gradient(_rosenbrock_grad, "grad of the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2")


def _random_spd(rng: np.random.Generator, d: int, low: float = 0.5, high: float = 4.0) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.sort(rng.uniform(low, high, size=d))
    lam[-1] = high  # the largest eigenvalue is L = high exactly, so lr = c / L is known
    return (Q * lam) @ Q.T


# --- convexity: gradient descent -------------------------------------------------------------


def _gd_reference(grad, x0, lr, steps):
    return trajectory(SGD(lr), grad, x0, steps)


def _gd_cases(rng: np.random.Generator) -> list[Case]:
    one = _quadratic([[2.0]], [1.0])
    cases: list[Case] = [
        (one, [0.0], 0.25, 0),  # steps = 0: just x0, shape (1, d)
        (one, [0.0], 0.25, 1),
        (_quadratic(np.diag([1.0, 4.0]), [1.0, -1.0]), [2.0, 3.0], 0.25, 50),  # lr = 1/L
    ]
    for d in range(1, 7):  # random SPD quadratics with L = 4, lr in (0, 2/L]
        A = _random_spd(rng, d)
        cases.append((_quadratic(A, rng.normal(size=d)), rng.normal(size=d), float(rng.uniform(0.05, 2.0) / 4.0), 50))
    A = _random_spd(rng, 3)
    cases.append((_quadratic(A, rng.normal(size=3)), rng.normal(size=3), 2.0 / 4.0, 50))  # lr = 2/L: the steep part oscillates
    A = _random_spd(rng, 4)
    cases.append((_quadratic(A, rng.normal(size=4)), rng.normal(size=4), 2.05 / 4.0, 50))  # just above 2/L: diverges slowly
    A = _random_spd(rng, 2)
    cases.append((_quadratic(A, [0.5, -0.5]), rng.normal(size=2).astype(np.float32), 1.0 / 4.0, 50))  # float32 x0
    A = _random_spd(rng, 5)
    cases.append((_quadratic(A, rng.normal(size=5)), [float(v) for v in rng.normal(size=5)], 1.0 / 4.0, 1))  # list x0
    return cases


# --- SGD: Polyak averaging -------------------------------------------------------------------


def _polyak_cases(rng: np.random.Generator) -> list[Case]:
    return [
        (np.array([3.0]),),  # T = 1
        ([[1, 2, 3]],),  # T = 1, an integer list of shape (1, 3)
        ([1, 2, 3, 4],),  # integers: the mean of [1, 2] is 1.5, not 1
        ([[1, 2], [3, 4], [5, 7]],),
        (np.full((5, 3), 2.5),),  # a constant sequence is its own running mean
        (np.full((4, 2, 2), -1.0),),
        (rng.normal(size=50),),
        (rng.normal(size=(100, 4)),),
        (rng.normal(size=(20, 2, 3)),),
        (5.0 + rng.normal(size=(300, 3)),),
    ]


# --- momentum: the heavy ball ----------------------------------------------------------------


def _heavy_ball_reference(grad, x0, lr, beta, steps):
    return trajectory(SGD(lr, momentum=beta), grad, x0, steps)


def _heavy_ball_cases(rng: np.random.Generator) -> list[Case]:
    one = _diagonal([2.0])
    cases: list[Case] = [
        (one, [1.0], 0.1, 0.5, 0),  # steps = 0
        (one, [1.0], 0.1, 0.5, 1),  # the first step has no momentum (theta_{-1} = theta_0)
        (one, [1.0], 0.1, 0.0, 20),  # beta = 0: gradient descent
        (_diagonal([1.0, 10.0]), [1.0, 1.0], 0.05, 0.9, 60),
        (ROSENBROCK, [-1.2, 1.0], 1e-3, 0.9, 0),
        (ROSENBROCK, [-1.2, 1.0], 1e-3, 0.9, 1),
        (ROSENBROCK, [-1.2, 1.0], 1e-3, 0.9, 50),
        (ROSENBROCK, np.array([0.5, -0.5]), 5e-4, 0.0, 30),
    ]
    for d, beta in [(3, 0.3), (4, 0.0), (5, 0.8), (6, 0.5)]:
        lams = np.sort(rng.uniform(0.5, 8.0, size=d))
        cases.append((_diagonal(lams), rng.normal(size=d), 0.1, beta, 40))
    A = _random_spd(rng, 4)
    cases.append((_quadratic(A, rng.normal(size=4)), rng.normal(size=4), 0.2, 0.7, 80))
    return cases


# --- adaptive methods: Adam ------------------------------------------------------------------


def _adam_reference(grad, x0, lr, betas, eps, steps):
    return trajectory(Adam(lr, betas, eps), grad, x0, steps)


def _adam_cases(rng: np.random.Generator) -> list[Case]:
    with_zero = _diagonal([1.0, 10.0, 0.0])  # the last coordinate's gradient is exactly 0 (eps > 0 keeps 0 / eps = 0)
    start = [1.0, -2.0, 3.0]
    cases: list[Case] = [
        (_diagonal([2.0]), [1.0], 0.1, (0.9, 0.999), 1e-8, 0),
        (_diagonal([2.0]), [1.0], 0.1, (0.9, 0.999), 1e-8, 1),  # the first step is lr * sign(g) (up to eps)
        (_diagonal([2.0]), [1.0], 0.0, (0.9, 0.999), 1e-8, 10),  # lr = 0: nothing moves
        (with_zero, start, 0.05, (0.9, 0.999), 1e-8, 100),  # the defaults
        (with_zero, start, 0.05, (0.0, 0.99), 1e-8, 100),  # beta1 = 0: no momentum
        (with_zero, start, 0.05, (0.0, 0.5), 1e-3, 60),
        (with_zero, start, 0.05, (0.5, 0.5), 1e-8, 100),
        (with_zero, start, 0.05, (0.9, 0.999), 0.1, 40),  # a large eps matters
        (ROSENBROCK, [-1.2, 1.0], 0.01, (0.9, 0.999), 1e-8, 100),
    ]
    for d in (2, 4, 5):
        A = _random_spd(rng, d)
        cases.append((_quadratic(A, rng.normal(size=d)), rng.normal(size=d), 0.05, (0.9, 0.999), 1e-8, 80))
    return cases


# --- natural gradient: the Fisher information of logistic regression -------------------------


def _fisher_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([0.0])),  # N = d = 1, w = 0: sigma (1 - sigma) = 1/4
        (np.array([[2.0]]), np.array([-0.5])),
        ([[1, 2], [3, -1], [0, 4]], [0.5, -0.25]),  # integer X as a list
        (np.array([[800.0, 1.0], [-800.0, 1.0], [0.0, 1.0]]), np.array([1.0, 0.0])),  # logits +-800: no overflow, no NaN
        (rng.normal(size=(10, 3)), np.zeros(3)),  # w = 0: F = X^T X / (4 N)
        (rng.integers(-3, 4, size=(20, 2)), rng.normal(size=2)),  # integer array
    ]
    for N, d in [(1, 4), (5, 1), (30, 5), (100, 3), (100, 5)]:
        cases.append((rng.normal(size=(N, d)) * rng.uniform(0.5, 3.0, size=d), rng.normal(size=d)))
    return cases


register(
    Exercise(
        id="convex-ex-gd",
        chapter="chapters/optimization/convexity",
        title="Gradient descent as a function",
        name="gd_iterates",
        signature="gd_iterates(grad, x0, lr, steps) -> (steps + 1, d) array of the iterates x_0, ..., x_steps",
        reference=_gd_reference,
        cases=_gd_cases,
        rtol=1e-6,  # one case starts from a float32 x0, whose trajectory the reference keeps in float32
        atol=1e-6,
    ),
    Exercise(
        id="sgd-ex-polyak",
        chapter="chapters/optimization/sgd",
        title="Polyak averaging, online",
        name="running_mean",
        signature="running_mean(iterates) -> array shaped like iterates (T, ...), row t the mean of rows 0..t",
        reference=polyak_average,
        cases=_polyak_cases,
    ),
    Exercise(
        id="momentum-ex-heavy-ball",
        chapter="chapters/optimization/momentum",
        title="The heavy ball in Polyak's form",
        name="heavy_ball",
        signature="heavy_ball(grad, x0, lr, beta, steps) -> (steps + 1, d) array of heavy-ball iterates (theta_{-1} = theta_0)",
        reference=_heavy_ball_reference,
        cases=_heavy_ball_cases,
    ),
    Exercise(
        id="adaptive-ex-adam",
        chapter="chapters/optimization/adaptive",
        title="Adam in a few lines",
        name="adam_iterates",
        signature="adam_iterates(grad, x0, lr, betas, eps, steps) -> (steps + 1, d) array of Adam iterates",
        reference=_adam_reference,
        cases=_adam_cases,
    ),
    Exercise(
        id="natgrad-ex-logistic-fisher",
        chapter="chapters/optimization/natural_gradient",
        title="The Fisher information of logistic regression",
        name="fisher_logistic",
        signature="fisher_logistic(X, w) -> (d, d) mean of sigma_n (1 - sigma_n) x_n x_n^T, X (N, d), w (d,)",
        reference=logistic_fisher,
        cases=_fisher_cases,
    ),
)


# --- convexity: exact line search, the smoothness of logistic regression -----------------------


def _line_search_reference(A, b, x0, steps):
    """Gradient descent on ``x^T A x / 2 - b^T x`` with the exact line search ``eta_t = g^T g / g^T A g``."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    x = np.array(x0, dtype=float)
    out = [x.copy()]
    for _ in range(steps):
        g = A @ x - b
        gg = g @ g
        if gg > 0:  # at the minimiser the gradient is exactly 0 and the iterate stays
            x = x - gg / (g @ A @ g) * g
        out.append(x.copy())
    return np.array(out)


def _line_search_cases(rng: np.random.Generator) -> list[Case]:
    Q = np.array([[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]])
    A2 = Q @ np.diag([1.0, 10.0]) @ Q.T
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([1.0]), np.array([3.0]), 0),  # steps = 0: just x0
        (np.array([[2.0]]), np.array([2.0]), np.array([1.0]), 5),  # x0 is the minimiser: the gradient is exactly 0
        (np.array([[4.0]]), np.array([1.0]), np.array([-2.0]), 3),  # d = 1: exact in one step
        ([[3, 1], [1, 2]], [1, 0], [0, 0], 10),  # integer lists
        (np.diag([1.0, 4.0]), np.zeros(2), np.array([4.0, 1.0]), 20),  # the worst start: eigencomponents in the ratio kappa
        (A2, np.array([1.0, -1.0]), Q @ np.array([10.0, 1.0]), 25),
    ]
    for d in (3, 5, 6):
        lam = np.linspace(1.0, 8.0, d)
        Qd, _ = np.linalg.qr(rng.normal(size=(d, d)))
        cases.append(((Qd * lam) @ Qd.T, rng.normal(size=d), rng.normal(size=d), 25))
    return cases


# A small design matrix for the smoothness constant of logistic regression
LOGISTIC_X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0], [-2.0, 2.0]])


def _logistic_smoothness_reference():
    """``L = lambda_max(X^T X) / (4 N)``: the Hessian is ``X^T diag(sigma (1 - sigma)) X / N`` and ``sigma (1 - sigma) <= 1/4``."""
    X = LOGISTIC_X
    return float(np.linalg.eigvalsh(X.T @ X / (4 * len(X)))[-1])


# --- SGD: a mini-batch gradient, the noise floor in one dimension ------------------------------


def _minibatch_reference(X, y, theta, idx):
    X, y, theta = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(theta, dtype=float)
    idx = np.asarray(idx)
    Xb = X[idx]
    return Xb.T @ (Xb @ theta - y[idx]) / len(idx)


def _minibatch_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[2.0]]), np.array([1.0]), np.array([0.5]), np.array([0])),  # n = d = B = 1
        ([[1, 2], [3, 4], [5, 6]], [1, 0, -1], [1, -1], [2]),  # integer lists, B = 1
        ([[1, 2], [3, 4], [5, 6]], [1, 0, -1], [1, -1], [1, 1, 1]),  # the same example three times (with replacement)
    ]
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    cases.append((X, y, w, np.arange(50)))  # B = n at the optimum: the full gradient, 0
    cases.append((X, y, w, rng.integers(0, 50, size=8)))  # at the optimum a batch gradient is not 0
    for n, d, B in [(20, 1, 5), (100, 3, 10), (200, 5, 64)]:
        cases.append((rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d), rng.choice(n, size=B, replace=False)))
    return cases


def _floor_1d_reference():
    import sympy as sp

    eta, h, k4, s = sp.symbols("eta h k4 s", real=True)
    return eta * s / (2 * h - eta * k4)


# --- momentum: Nesterov's iterates, the heavy ball's rate, its effective step ------------------


def _nesterov_reference(grad, x0, lr, beta, steps):
    """The iterates theta_t of Nesterov's method (look-ahead y_t, then a gradient step from it), theta_{-1} = theta_0."""
    theta_prev = theta = np.array(x0, dtype=float)
    out = [theta.copy()]
    for _ in range(steps):
        y = theta + beta * (theta - theta_prev)
        theta, theta_prev = y - lr * grad(y), theta
        out.append(theta.copy())
    return np.array(out)


def _hb_rate_reference(eta, beta, lams):
    """``max_lambda |z|`` over the roots of ``z^2 - (1 + beta - eta lambda) z + beta``, by the quadratic formula."""
    S = 1.0 + beta - eta * np.asarray(lams, dtype=float)
    root = np.sqrt(S.astype(complex) ** 2 - 4.0 * beta)
    return float(np.max(np.maximum(np.abs(S + root), np.abs(S - root)) / 2))


def _hb_rate_cases(rng: np.random.Generator) -> list[Case]:
    def tuned(kappa):
        sk = np.sqrt(kappa)
        return 4 / (sk + 1) ** 2, ((sk - 1) / (sk + 1)) ** 2

    cases: list[Case] = [
        (0.1, 0.0, np.array([1.0])),  # beta = 0: gradient descent, |1 - eta lambda|
        (0.5, 0.0, np.array([1.0, 3.0, 5.0])),  # beta = 0, diverging at lambda = 5
        (0.1, 0.5, np.array([2.0])),  # complex roots: modulus sqrt(beta)
        (1.0, 0.9, np.array([0.001])),  # real roots near 1
        (*tuned(100.0), np.linspace(1.0, 100.0, 50)),  # the tuned heavy ball: (sqrt(kappa) - 1) / (sqrt(kappa) + 1)
        (0.01, 0.9, np.linspace(1.0, 1000.0, 200)),  # PyTorch-style beta = 0.9 with eta = 10 / L
        (0.3, 0.2, np.array([10.0])),  # outside the stability region
        (0.05, 0.7, rng.uniform(0.1, 40.0, size=30)),
    ]
    return cases


def _effective_lr_reference():
    import sympy as sp

    eta, lam, beta = sp.symbols("eta lam beta", real=True)
    return eta * lam / (1 - beta)


# --- adaptive methods: Adagrad, and Adam without the second bias correction --------------------


def _adagrad_reference(grad, x0, lr, eps, steps):
    return trajectory(Adagrad(lr, eps), grad, x0, steps)


def _adagrad_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (_diagonal([2.0]), [1.0], 0.1, 1e-10, 0),
        (_diagonal([2.0]), [1.0], 0.1, 1e-10, 1),  # the first step is lr * sign(g) (up to eps)
        (_diagonal([2.0]), [1.0], 0.1, 0.0, 20),  # eps = 0
        (_diagonal([1e-3, 1.0, 1e3]), [1.0, 1.0, 1.0], 0.05, 0.0, 50),  # gradients 10^6 apart: the same steps
        (_diagonal([1.0, 10.0]), [1.0, -1.0], 0.5, 0.1, 40),  # a large eps matters
        (ROSENBROCK, [-1.2, 1.0], 0.1, 1e-10, 100),
    ]
    for d in (2, 4, 5):
        A = _random_spd(rng, d)
        cases.append((_quadratic(A, rng.normal(size=d)), rng.normal(size=d), 0.2, 1e-10, 60))
    return cases


def _no_vhat_reference():
    import sympy as sp

    eta, beta2, t = sp.symbols("eta beta2 t", real=True)
    return eta / sp.sqrt(1 - beta2**t)


# --- natural gradient: the empirical Fisher, the Fisher information of a Poisson rate ----------


def _empirical_fisher_reference(X, y, w):
    """``(1/N) sum_n (y_n - sigma_n)^2 x_n x_n^T``: the outer products of the scores with the data's own labels."""
    X, y, w = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(w, dtype=float)
    z = X @ w
    sigma = np.exp(-np.logaddexp(0.0, -z))  # sigmoid without overflow
    r = y - sigma
    return (X * (r * r)[:, None]).T @ X / len(X)


def _empirical_fisher_cases(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = [
        (np.array([[1.0]]), np.array([1.0]), np.array([0.0])),  # N = d = 1: (1 - 1/2)^2 = 1/4
        ([[1, 2], [3, -1], [0, 4]], [1, 0, 1], [0.5, -0.25]),  # integer lists
        (np.array([[800.0, 1.0], [-800.0, 1.0], [0.0, 1.0]]), np.array([1.0, 1.0, 0.0]), np.array([1.0, 0.0])),  # logits +-800
        (rng.normal(size=(10, 3)), np.ones(10), np.zeros(3)),  # w = 0: every residual is 1/2
    ]
    for N, d in [(1, 4), (5, 1), (30, 5), (100, 3)]:
        X = rng.normal(size=(N, d)) * rng.uniform(0.5, 3.0, size=d)
        cases.append((X, (rng.random(N) < 0.5).astype(float), rng.normal(size=d)))
    return cases


def _poisson_fisher_reference():
    import sympy as sp

    theta = sp.symbols("theta", real=True)
    return sp.exp(theta)


CONVEX = "chapters/optimization/convexity"
SGD_CHAPTER = "chapters/optimization/sgd"
MOMENTUM = "chapters/optimization/momentum"
ADAPTIVE = "chapters/optimization/adaptive"
NATGRAD = "chapters/optimization/natural_gradient"

register(
    Exercise(
        id="convex-ex-line-search",
        chapter=CONVEX,
        title="Exact line search",
        name="line_search_gd",
        signature="line_search_gd(A, b, x0, steps) -> (steps + 1, d) iterates of gradient descent with eta_t = g^T g / g^T A g",
        reference=_line_search_reference,
        cases=_line_search_cases,
        rtol=1e-8,
        atol=1e-10,
    ),
    Exercise(
        id="convex-ex-logistic-smooth",
        chapter=CONVEX,
        title="The smoothness constant of logistic regression",
        name="L_logistic",
        signature="L_logistic: the smallest L valid for every w, a number",
        reference=_logistic_smoothness_reference,
        cases=None,
    ),
    Exercise(
        id="sgd-ex-minibatch",
        chapter=SGD_CHAPTER,
        title="A mini-batch gradient",
        name="minibatch_grad",
        signature="minibatch_grad(X, y, theta, idx) -> (d,) mean of x_i (x_i^T theta - y_i) over the indices idx (repeats allowed)",
        reference=_minibatch_reference,
        cases=_minibatch_cases,
    ),
    Exercise(
        id="sgd-ex-floor-1d",
        chapter=SGD_CHAPTER,
        title="The noise floor in one dimension",
        name="floor_1d",
        signature="floor_1d: a formula in eta, h, k4, s",
        reference=_floor_1d_reference,
        cases=None,
        symbols=("eta", "h", "k4", "s"),
        domain=(0.05, 1.0),
    ),
    Exercise(
        id="momentum-ex-nesterov",
        chapter=MOMENTUM,
        title="Nesterov's method as defined",
        name="nesterov",
        signature="nesterov(grad, x0, lr, beta, steps) -> (steps + 1, d) array of the iterates theta_t (not the look-ahead points)",
        reference=_nesterov_reference,
        cases=_heavy_ball_cases,
    ),
    Exercise(
        id="momentum-ex-rate",
        chapter=MOMENTUM,
        title="The heavy ball's rate on a spectrum",
        name="hb_rate",
        signature="hb_rate(eta, beta, lams) -> the largest spectral radius of the heavy-ball iteration over the eigenvalues lams, a number",
        reference=_hb_rate_reference,
        cases=_hb_rate_cases,
        rtol=1e-6,  # at a double root the eigenvalues of the 2 x 2 matrix are accurate to about sqrt(machine epsilon)
        atol=1e-10,
    ),
    Exercise(
        id="momentum-ex-effective-lr",
        chapter=MOMENTUM,
        title="The effective learning rate of momentum",
        name="delta_first_order",
        signature="delta_first_order: 1 - z to first order in eta lam, a formula in eta, lam, beta",
        reference=_effective_lr_reference,
        cases=None,
        symbols=("eta", "lam", "beta"),
        domain=(0.05, 0.9),
    ),
    Exercise(
        id="adaptive-ex-adagrad",
        chapter=ADAPTIVE,
        title="Adagrad in a few lines",
        name="adagrad_iterates",
        signature="adagrad_iterates(grad, x0, lr, eps, steps) -> (steps + 1, d) array of Adagrad iterates",
        reference=_adagrad_reference,
        cases=_adagrad_cases,
    ),
    Exercise(
        id="adaptive-ex-no-vhat",
        chapter=ADAPTIVE,
        title="Adam without the second bias correction",
        name="step_no_vhat",
        signature="step_no_vhat: the t-th step length under a constant gradient, a formula in eta, beta2, t",
        reference=_no_vhat_reference,
        cases=None,
        symbols=("eta", "beta2", "t"),
        domain=(0.1, 0.9),
    ),
    Exercise(
        id="natgrad-ex-empirical-fisher",
        chapter=NATGRAD,
        title="The empirical Fisher of logistic regression",
        name="empirical_fisher",
        signature="empirical_fisher(X, y, w) -> (d, d) mean of (y_n - sigma_n)^2 x_n x_n^T, X (N, d), y (N,), w (d,)",
        reference=_empirical_fisher_reference,
        cases=_empirical_fisher_cases,
    ),
    Exercise(
        id="natgrad-ex-poisson",
        chapter=NATGRAD,
        title="The Fisher information of a Poisson log-rate",
        name="fisher_log_rate",
        signature="fisher_log_rate: F(theta) for theta = log(rate), a formula in theta",
        reference=_poisson_fisher_reference,
        cases=None,
        symbols=("theta",),
    ),
)


# --- derivations checked as formulas and values: the best fixed step, RMSProp's warm-up, ------
# --- the Fisher information of a Bernoulli variable -------------------------------------------


def _best_step_reference():
    """``(eta*, rate)``: the step minimising ``max |1 - eta lam|`` over ``[mu, L]`` and that minimum."""
    import sympy as sp

    mu, L = sp.symbols("mu L", real=True)
    return sp.Matrix([2 / (L + mu), (L - mu) / (L + mu)])


def _rms_steps_reference() -> int:
    """The first ``t`` with ``1 / sqrt(1 - rho^t) < 1.01`` for ``rho = 0.99``."""
    return int(np.ceil(np.log(1 - 1 / 1.01**2) / np.log(0.99)))


def _bernoulli_fisher_reference():
    """``(F_p, F_z)``: the Fisher information of a Bernoulli variable in ``p`` and in the logit ``z``."""
    import sympy as sp

    p, z = sp.symbols("p z", real=True)
    return sp.Matrix([1 / (p * (1 - p)), sp.exp(z) / (1 + sp.exp(z)) ** 2])


register(
    Exercise(
        id="convex-ex-best-step",
        chapter=CONVEX,
        title="The best fixed step",
        name="best_fixed_step",
        signature="best_fixed_step: Matrix([eta_star, rate]), the step minimising max |1 - eta lam| over [mu, L] and the minimum, in mu, L",
        reference=_best_step_reference,
        cases=None,
        symbols=("mu", "L"),
        domain=(0.1, 4.0),
    ),
    Exercise(
        id="adaptive-ex-rms-first",
        chapter=ADAPTIVE,
        title="RMSProp's first step",
        name="rms_steps_to_1pct",
        signature="rms_steps_to_1pct: the first t at which RMSProp's step under a constant gradient is within 1% of eta, rho = 0.99",
        reference=_rms_steps_reference,
        cases=None,
    ),
    Exercise(
        id="natgrad-ex-bernoulli",
        chapter=NATGRAD,
        title="A Bernoulli variable in two parameterisations",
        name="bernoulli_fisher",
        signature="bernoulli_fisher: Matrix([F_p, F_z]), the Fisher information in p (a formula in p) and in the logit z (in z)",
        reference=_bernoulli_fisher_reference,
        cases=None,
        symbols=("p", "z"),
        domain=(0.05, 0.95),  # p in (0, 1)
    ),
)
