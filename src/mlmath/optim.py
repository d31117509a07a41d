"""First-order optimizers (SGD with momentum and Nesterov, RMSprop, Adam, Adagrad) and helpers.

Each class mirrors the ``torch.optim`` class of the same name: fed the same
gradients with the same hyperparameters, the iterates agree to round-off.
The update rules are written as the chapters derive them (``g`` the gradient
at step ``t = 1, 2, ...``, all operations elementwise)::

    SGD       g <- g + wd * p;  b <- mu * b + g  (b_1 = g);
              d = g + mu * b (Nesterov) or b;    p <- p - lr * d
    RMSprop   v <- alpha * v + (1 - alpha) * g^2;  p <- p - lr * g / (sqrt(v) + eps)
    Adam      m <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g^2
              p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    Adagrad   s <- s + g^2;  p <- p - lr * g / (sqrt(s) + eps)

``step(params, grads)`` updates the arrays in the list ``params`` *in place*
(``p -= ...``); the state arrays are updated in place too. The optimizer
keeps its state (``self.state[i]``, named as in torch: ``momentum_buffer``,
``square_avg``, ``exp_avg``, ``exp_avg_sq``, ``sum``, ``step``) per position
``i`` in that list, created on the first step; pass the parameters in the
same order every time.

``eps = 0`` is allowed in RMSprop, Adam and Adagrad: where the denominator
``sqrt(v) + eps`` is then 0, every gradient so far was 0 and the step is 0
(torch returns NaN there). Gradients are not checked for NaN or infinity: as
in torch, they propagate into the parameters.

Helpers for the optimisation chapters: :func:`trajectory` runs an optimizer
on a gradient function and returns every iterate; :func:`polyak_average`
averages iterates (arithmetic mean or exponential moving average);
:func:`natural_gradient` solves ``(F + damping I) d = g``; and
:func:`logistic_fisher` is the Fisher information of logistic regression.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_same_shape, check_scalar

__all__ = [
    "SGD",
    "RMSprop",
    "Adam",
    "Adagrad",
    "trajectory",
    "polyak_average",
    "natural_gradient",
    "logistic_fisher",
    "rosenbrock",
    "rosenbrock_grad",
    "heavy_ball_matrix",
]


class _Optimizer:
    """Shared bookkeeping: argument checks and the per-parameter state.

    Subclasses name their state arrays in ``_buffers`` and write the update
    rule in ``_update(p, g, state)``, which changes ``p`` (and the state) in place.
    """

    _buffers: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.state: dict[int, dict] = {}

    def step(self, params, grads) -> None:
        """Apply one update to every array in ``params`` (in place) given ``grads``."""
        pairs = _check_params_grads(params, grads)
        for i, (p, _) in enumerate(pairs):  # check everything before touching anything
            self._check_state(i, p)
        for i, (p, g) in enumerate(pairs):
            if i not in self.state:
                self.state[i] = {"step": 0, **{name: np.zeros(p.shape, dtype=p.dtype) for name in self._buffers}}
            self.state[i]["step"] += 1
            self._update(p, g, self.state[i])

    def _check_state(self, i: int, p: np.ndarray) -> None:
        state = self.state.get(i)
        if state is None or not self._buffers:
            return
        ref = state[self._buffers[0]]
        if ref.shape != p.shape or ref.dtype != p.dtype:
            raise ValueError(
                f"params[{i}] has shape {p.shape} and dtype {p.dtype}, but the optimizer state for "
                f"position {i} was created for shape {ref.shape} and dtype {ref.dtype}; pass the "
                f"parameters in the same order every step"
            )

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({args})"

    def _hyper(self) -> dict:
        return {}


def _check_params_grads(params, grads) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate the two lists and return ``(param, grad)`` pairs, grads cast to the param dtype."""
    if not isinstance(params, (list, tuple)):
        raise ValueError(f"params must be a list of NumPy arrays, got {type(params).__name__}")
    if not isinstance(grads, (list, tuple)):
        raise ValueError(f"grads must be a list of arrays, got {type(grads).__name__}")
    if len(params) != len(grads):
        raise ValueError(f"params and grads must have the same length, got {len(params)} and {len(grads)}")
    pairs = []
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(p, np.ndarray):
            raise ValueError(f"params[{i}] must be a NumPy array (it is updated in place), got {type(p).__name__}")
        if not np.issubdtype(p.dtype, np.floating):
            raise ValueError(f"params[{i}] must have a floating dtype to be updated in place, got dtype {p.dtype}")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] must be writeable (it is updated in place), got a read-only array")
        g = as_float_array(g, f"grads[{i}]", finite=False)
        check_same_shape(p, g, f"params[{i}]", f"grads[{i}]")
        if g.dtype != p.dtype:
            g = g.astype(p.dtype)
        pairs.append((p, g))
    return pairs


def _check_nonnegative(value, name: str) -> float:
    return check_scalar(value, name, low=0.0)


def _scaled_step(numerator: np.ndarray, second_moment: np.ndarray, eps: float) -> np.ndarray:
    """``numerator / (sqrt(second_moment) + eps)``, and 0 where that denominator is 0 (``eps = 0``)."""
    denominator = np.sqrt(second_moment) + eps
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


class SGD(_Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.

    With ``g`` the gradient (plus ``weight_decay * p``), torch's convention::

        b_1 = g_1,  b_t = momentum * b_{t-1} + g_t       (no dampening)
        d_t = g_t + momentum * b_t  if nesterov  else  b_t   (d_t = g_t if momentum == 0)
        p  <- p - lr * d_t

    Plain momentum is Polyak's heavy ball ``p_{t+1} = p_t - lr g_t + momentum (p_t - p_{t-1})``
    (for constant ``lr``); the buffer is a geometric *sum* of gradients, not an average.
    """

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0) -> None:
        super().__init__()
        self.lr = _check_nonnegative(lr, "lr")
        self.momentum = _check_nonnegative(momentum, "momentum")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True requires momentum > 0, got momentum=0.0")
        self.nesterov = bool(nesterov)
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")
        self._buffers = ("momentum_buffer",) if self.momentum != 0.0 else ()

    def _hyper(self) -> dict:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov, "weight_decay": self.weight_decay}

    def _update(self, p, g, state) -> None:
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p
        d = g
        if self.momentum != 0.0:
            b = state["momentum_buffer"]  # starts at 0, so b_1 = g_1 exactly, as torch's clone
            b *= self.momentum
            b += g  # b <- momentum * b + g
            d = g + self.momentum * b if self.nesterov else b
        p -= self.lr * d


class RMSprop(_Optimizer):
    """RMSprop as in torch: ``v <- alpha v + (1 - alpha) g^2``, ``p <- p - lr g / (sqrt(v) + eps)``.

    ``alpha`` is the smoothing constant (the book calls it rho); ``v`` starts at
    zero and is not bias-corrected; ``eps`` is added *after* the square root.
    """

    _buffers = ("square_avg",)

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8) -> None:
        super().__init__()
        self.lr = _check_nonnegative(lr, "lr")
        self.alpha = check_scalar(alpha, "alpha", low=0.0, high=1.0, high_open=True)
        self.eps = _check_nonnegative(eps, "eps")

    def _hyper(self) -> dict:
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps}

    def _update(self, p, g, state) -> None:
        v = state["square_avg"]
        v *= self.alpha
        v += (1 - self.alpha) * g * g  # v <- alpha v + (1 - alpha) g^2
        p -= self.lr * _scaled_step(g, v, self.eps)  # p <- p - lr g / (sqrt(v) + eps)


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2015) as in torch, with bias correction of both moments.

    At step ``t = 1, 2, ...``::

        m <- beta1 m + (1 - beta1) g,      v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t),         v_hat = v / (1 - beta2^t)
        p <- p - lr m_hat / (sqrt(v_hat) + eps)
    """

    _buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8) -> None:
        super().__init__()
        self.lr = _check_nonnegative(lr, "lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            check_scalar(betas[0], "betas[0]", low=0.0, high=1.0, high_open=True),
            check_scalar(betas[1], "betas[1]", low=0.0, high=1.0, high_open=True),
        )
        self.eps = _check_nonnegative(eps, "eps")

    def _hyper(self) -> dict:
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps}

    def _update(self, p, g, state) -> None:
        beta1, beta2 = self.betas
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * g  # m <- beta1 m + (1 - beta1) g
        v *= beta2
        v += (1 - beta2) * g * g  # v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p -= self.lr * _scaled_step(m_hat, v_hat, self.eps)  # p <- p - lr m_hat / (sqrt(v_hat) + eps)


class Adagrad(_Optimizer):
    """Adagrad (Duchi et al., 2011) as torch's defaults: ``s <- s + g^2``, ``p <- p - lr g / (sqrt(s) + eps)``.

    The accumulator starts at zero (torch's ``initial_accumulator_value=0``) and
    the learning rate does not decay (``lr_decay=0``).
    """

    _buffers = ("sum",)

    def __init__(self, lr=0.01, eps=1e-10) -> None:
        super().__init__()
        self.lr = _check_nonnegative(lr, "lr")
        self.eps = _check_nonnegative(eps, "eps")

    def _hyper(self) -> dict:
        return {"lr": self.lr, "eps": self.eps}

    def _update(self, p, g, state) -> None:
        s = state["sum"]
        s += g * g  # s <- s + g^2
        p -= self.lr * _scaled_step(g, s, self.eps)  # p <- p - lr g / (sqrt(s) + eps)


# ---------------------------------------------------------------- helpers for the chapters


def trajectory(optimizer, grad, x0, steps) -> np.ndarray:
    """Run ``optimizer`` for ``steps`` steps from ``x0`` and return every iterate.

    ``grad(x)`` returns the gradient at ``x`` (same shape as ``x``; denominator
    layout). Returns an array of shape ``(steps + 1, *x0.shape)`` whose row
    ``t`` is ``x_t`` (row 0 is a copy of ``x0``), in ``x0``'s floating dtype.
    The optimizer keeps its state, so a second call continues from it.
    Gradient descent with step ``lr`` is ``trajectory(SGD(lr), grad, x0, steps)``.
    """
    if not isinstance(optimizer, _Optimizer):
        raise ValueError(f"optimizer must be an mlmath.optim optimizer (SGD, Adam, ...), got {type(optimizer).__name__}")
    if not callable(grad):
        raise ValueError(f"grad must be callable, got {type(grad).__name__}")
    steps = check_int(steps, "steps", minimum=0)
    x = as_float_array(x0, "x0").copy()
    out = np.empty((steps + 1, *x.shape), dtype=x.dtype)
    out[0] = x
    for t in range(1, steps + 1):
        g = as_float_array(grad(x), "grad(x)", finite=False)
        check_same_shape(x, g, "x0", "grad(x)")
        optimizer.step([x], [g])
        out[t] = x
    return out


def polyak_average(iterates, beta=None) -> np.ndarray:
    """Running average of ``iterates`` along axis 0 (shape ``(T, ...)``, same shape out).

    ``beta=None`` (Polyak-Ruppert averaging): the arithmetic mean of the first
    ``t`` iterates, ``bar_t = (1/t) sum_{i<=t} theta_i``, which is the
    recursion ``bar_t = (1 - 1/t) bar_{t-1} + (1/t) theta_t``. A number
    ``0 < beta <= 1``: the exponential moving average ``bar_1 = theta_1``,
    ``bar_t = (1 - beta) bar_{t-1} + beta theta_t``, which weights ``theta_i``
    by ``beta (1 - beta)^(t-i)`` and forgets the past (window about ``1/beta``).
    """
    x = as_float_array(iterates, "iterates", min_ndim=1)
    check_nonempty(x, "iterates")
    if beta is None:
        counts = np.arange(1, x.shape[0] + 1, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
        return np.cumsum(x, axis=0) / counts
    beta = check_scalar(beta, "beta", low=0.0, high=1.0, low_open=True)
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, x.shape[0]):  # a recursion in time: each average needs the previous one
        out[t] = (1.0 - beta) * out[t - 1] + beta * x[t]
    return out


def natural_gradient(grad, fisher, damping=0.0) -> np.ndarray:
    """The natural-gradient direction ``d = (F + damping I)^{-1} g``, shape ``(d,)``.

    ``grad`` is the gradient ``g`` of the loss, shape ``(d,)``; ``fisher`` the
    Fisher information ``F`` (symmetric positive semidefinite), ``(d, d)``.
    Solved by a Cholesky factorisation, so ``F + damping I`` must be positive
    definite (add ``damping > 0`` when ``F`` is singular). The natural-gradient
    step is ``theta <- theta - lr * d``.
    """
    g = as_float_array(grad, "grad", ndim=1)
    F = as_float_array(fisher, "fisher", ndim=2)
    if F.shape != (g.size, g.size):
        raise ValueError(f"fisher must have shape ({g.size}, {g.size}) to match grad of shape {g.shape}, got {F.shape}")
    damping = check_scalar(damping, "damping", low=0.0)
    dtype = np.result_type(g, F)
    if not np.allclose(F, F.T, rtol=1e-10, atol=1e-12 * max(np.abs(F).max(initial=0.0), 1e-300)):
        raise ValueError("fisher must be symmetric, got a matrix with fisher != fisher.T")
    M = F.astype(dtype) + damping * np.eye(g.size, dtype=dtype)
    try:
        C = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"fisher + damping * I must be positive definite, got a singular or indefinite matrix with "
            f"damping={damping}; pass damping > 0"
        ) from None
    y = np.linalg.solve(C, g.astype(dtype))  # C C^T d = g
    return np.linalg.solve(C.T, y)


def logistic_fisher(X, w) -> np.ndarray:
    """Fisher information of logistic regression ``p(y=1 | x) = sigmoid(x . w)``, per example.

    ``F(w) = (1/N) sum_n s_n (1 - s_n) x_n x_n^T`` with ``s_n = sigmoid(x_n . w)``,
    for ``X`` of shape ``(N, d)`` (one example per row) and ``w`` of shape
    ``(d,)``; returns ``(d, d)``. It is also the Hessian of the mean negative
    log-likelihood (whatever the labels), since the logit is linear in ``w``.
    """
    X = as_float_array(X, "X", ndim=2)
    check_nonempty(X, "X")
    w = as_float_array(w, "w", ndim=1)
    if w.size != X.shape[1]:
        raise ValueError(f"w must have shape ({X.shape[1]},) to match X of shape {X.shape}, got {w.shape}")
    z = X @ w
    weights = np.exp(-np.logaddexp(0.0, -z) - np.logaddexp(0.0, z))  # sigmoid(z) sigmoid(-z), no cancellation
    return (X * weights[:, None]).T @ X / X.shape[0]


# ---------------------------------------------------------------- test functions and iteration matrices


def _rosenbrock_args(theta, a, b):
    theta = as_float_array(theta, "theta", min_ndim=1, finite=False)  # a diverging run may pass inf or NaN: they propagate
    if theta.shape[-1] < 2:
        raise ValueError(f"theta must have at least 2 coordinates along its last axis, got shape {theta.shape}")
    return theta, check_scalar(a, "a"), check_scalar(b, "b")


def rosenbrock(theta, a=1.0, b=100.0):
    """The Rosenbrock function ``f(theta) = sum_i (a - theta_i)^2 + b (theta_{i+1} - theta_i^2)^2``.

    ``theta`` has shape ``(..., d)`` with ``d >= 2`` (one point per row; the sum runs over
    ``i = 1, ..., d - 1`` along the last axis); returns shape ``(...)``. In two dimensions
    ``f(x, y) = (a - x)^2 + b (y - x^2)^2``, with its minimum ``0`` at ``(a, a^2)`` at the end of
    a long, curved valley. For ``d > 2`` and the defaults the global minimum is ``0`` at
    ``(1, ..., 1)``, which is SciPy's ``scipy.optimize.rosen``. Infinite or NaN coordinates are
    not rejected but propagate (as in NumPy), so that a diverging optimiser can be run on it.
    """
    theta, a, b = _rosenbrock_args(theta, a, b)
    head, tail = theta[..., :-1], theta[..., 1:]
    return np.sum((a - head) ** 2 + b * (tail - head**2) ** 2, axis=-1)


def rosenbrock_grad(theta, a=1.0, b=100.0):
    """The gradient of :func:`rosenbrock`, same shape as ``theta`` ``(..., d)`` (denominator layout).

    Coordinate ``j`` collects ``-2 (a - theta_j) - 4 b theta_j (theta_{j+1} - theta_j^2)`` from the
    term it starts (``j < d``) and ``2 b (theta_j - theta_{j-1}^2)`` from the term it ends
    (``j > 1``). In two dimensions: ``(-2 (a - x) - 4 b x (y - x^2), 2 b (y - x^2))``.
    """
    theta, a, b = _rosenbrock_args(theta, a, b)
    head, tail = theta[..., :-1], theta[..., 1:]
    valley = tail - head**2
    grad = np.zeros_like(theta)
    grad[..., :-1] += -2.0 * (a - head) - 4.0 * b * head * valley
    grad[..., 1:] += 2.0 * b * valley
    return grad


def heavy_ball_matrix(eta, beta, lam) -> np.ndarray:
    """The 2 x 2 iteration matrix of the heavy ball on the 1-D quadratic ``f(c) = lam c^2 / 2``.

    The heavy ball ``c_{t+1} = c_t - eta lam c_t + beta (c_t - c_{t-1})`` (step ``eta``,
    momentum ``beta``, curvature ``lam``) is linear in the **state vector**
    ``(c_t, c_{t-1})``, current iterate first, previous second::

        [c_{t+1}]   [1 + beta - eta lam   -beta] [c_t    ]
        [c_t    ] = [        1               0 ] [c_{t-1}]

    On a quadratic with Hessian eigenvalue ``lam`` this is the recursion of one
    eigencomponent of ``theta - theta*``; its spectral radius is the method's rate there.
    The start ``theta_{-1} = theta_0`` (torch's zero momentum buffer) is the state
    ``(c_0, c_0)``. ``lam`` may be an array: the result then has shape ``lam.shape + (2, 2)``.
    """
    eta, beta = check_scalar(eta, "eta"), check_scalar(beta, "beta")
    lam = as_float_array(lam, "lam")
    out = np.zeros(lam.shape + (2, 2), dtype=np.result_type(lam, np.float64))
    out[..., 0, 0] = 1.0 + beta - eta * lam
    out[..., 0, 1] = -beta
    out[..., 1, 0] = 1.0
    return out
