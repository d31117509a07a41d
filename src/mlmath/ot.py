"""Entropic optimal transport between histograms: Sinkhorn's algorithm and its gradients.

The discrete Kantorovich problem between histograms ``a (n,)`` and ``b (m,)``
of equal mass for a cost matrix ``C (n, m)`` is the linear program::

    OT(a, b) = min_{P >= 0, P 1 = a, P^T 1 = b}  <P, C>.

Its entropic regularisation with strength ``reg > 0`` is::

    OT_reg(a, b) = min_{P >= 0, P 1 = a, P^T 1 = b}  <P, C> + reg * sum_ij P_ij (log P_ij - 1)

(``0 log 0 = 0``). The minimiser is unique and has the Gibbs form
``P_ij = exp((f_i + g_j - C_ij) / reg)`` with dual potentials ``f (n,)`` and
``g (m,)``, which Sinkhorn's iteration finds by alternately matching the row
sums and the column sums. In the log domain that reads::

    f_i <- reg log a_i - reg log sum_j exp((g_j - C_ij) / reg)
    g_j <- reg log b_j - reg log sum_i exp((f_i - C_ij) / reg)

with every ``log sum exp`` evaluated stably, so that it works for any
``reg > 0``. The textbook form :func:`sinkhorn_naive` scales the Gibbs kernel
``K = exp(-C / reg)`` instead (``u = exp(f / reg)``, ``v = exp(g / reg)``)
and under- or overflows once ``C / reg`` exceeds about 700.

POT's ``ot.sinkhorn(a, b, C, reg)`` solves the same problem (its
regulariser ``sum P log P`` differs from ours by the constant
``reg * sum(a)``), so the plans agree where POT's iteration converges.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_scalar, result_dtype

__all__ = [
    "sinkhorn",
    "sinkhorn_log",
    "sinkhorn_naive",
    "sinkhorn_cost",
    "entropic_objective",
    "squared_distances",
]


def _check_problem(a, b, C, reg, *, positive: bool = False):
    """Validate ``(a, b, C, reg)`` and return float64 copies plus the result dtype."""
    a = as_float_array(a, "a", ndim=1)
    b = as_float_array(b, "b", ndim=1)
    check_nonempty(a, "a")
    check_nonempty(b, "b")
    C = as_float_array(C, "C", ndim=2)
    if C.shape != (a.shape[0], b.shape[0]):
        raise ValueError(f"C must have shape (len(a), len(b)) = {(a.shape[0], b.shape[0])}, got shape {C.shape}")
    reg = check_scalar(reg, "reg", low=0.0, low_open=True)
    for arr, name in ((a, "a"), (b, "b")):
        if positive and np.any(arr <= 0):
            raise ValueError(f"{name} must be strictly positive here, got a minimum entry of {arr.min()!r}")
        if np.any(arr < 0):
            raise ValueError(f"{name} must be nonnegative, got a minimum entry of {arr.min()!r}")
    mass_a, mass_b = float(np.sum(a, dtype=np.float64)), float(np.sum(b, dtype=np.float64))
    if mass_a <= 0:
        raise ValueError(f"a must have positive mass, got sum(a) = {mass_a!r}")
    dtype = result_dtype(a, b, C)
    mass_tol = max(1e-8, 4 * (a.size + b.size) * float(np.finfo(result_dtype(a, b)).eps))
    if abs(mass_a - mass_b) > mass_tol * max(mass_a, mass_b):
        raise ValueError(
            f"a and b must have equal mass (relative tolerance {mass_tol:.1e}), got sum(a) = {mass_a!r} and sum(b) = {mass_b!r}"
        )
    # the masses agree to rounding; make them agree exactly, or the row error could never reach tol
    b64 = b.astype(np.float64) * (mass_a / mass_b)
    return a.astype(np.float64), b64, C.astype(np.float64), reg, dtype


def _lse(z: np.ndarray, axis: int) -> np.ndarray:
    """``log sum exp`` of a finite array along ``axis``, shifted by the maximum."""
    m = np.max(z, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(z - m), axis=axis))


def _log_iterations(a, b, C, reg, n_iter, tol):
    """Log-domain Sinkhorn on strictly positive ``a, b``: ``(f, g, errors)``.

    Each iteration updates ``f`` (rows matched) and then ``g`` (columns
    matched); ``errors[t]`` is ``||P_t 1 - a||_1`` for the plan after
    iteration ``t`` (its column sums are exact), computed for free from the
    next row update. The loop stops once the error is ``<= tol``.
    """
    log_a, log_b = np.log(a), np.log(b)
    f = np.zeros_like(a)
    g = np.zeros_like(b)
    errors = []
    f = reg * (log_a - _lse((g[None, :] - C) / reg, axis=1))
    for _ in range(n_iter):
        g = reg * (log_b - _lse((f[:, None] - C) / reg, axis=0))
        f_next = reg * (log_a - _lse((g[None, :] - C) / reg, axis=1))
        # row sums of exp((f + g - C)/reg) are a * exp((f - f_next)/reg)
        err = float(np.sum(np.abs(a * np.expm1((f - f_next) / reg))))
        errors.append(err)
        if err <= tol:
            break
        f = f_next
    return f, g, np.array(errors)


def sinkhorn_log(a, b, C, reg, n_iter: int = 10_000, tol: float = 1e-9):
    """Log-domain Sinkhorn: the plan, the dual potentials and the convergence history.

    Returns ``(P, f, g, errors)``: the plan ``P (n, m)`` with
    ``P_ij = exp((f_i + g_j - C_ij) / reg)``, the potentials ``f (n,)`` and
    ``g (m,)`` (``f_i = -inf`` where ``a_i = 0``, ``g_j = -inf`` where
    ``b_j = 0``), and ``errors (T,)``, the L1 violation ``||P 1 - a||_1`` of
    the row sums after each of the ``T <= n_iter`` iterations (the column
    sums are matched exactly by the last half-step). Iterations stop when
    the violation is ``<= tol``; a ``RuntimeWarning`` says so if that never
    happens. The potentials are determined up to ``(f + c, g - c)``; this
    iteration starts from ``g = 0`` and fixes ``c`` implicitly.
    Inputs as in :func:`sinkhorn`.
    """
    a, b, C, reg, dtype = _check_problem(a, b, C, reg)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    tol = check_scalar(tol, "tol", low=0.0)
    rows, cols = a > 0, b > 0
    fs, gs, errors = _log_iterations(a[rows], b[cols], C[np.ix_(rows, cols)], reg, n_iter, tol)
    if errors[-1] > tol:
        warnings.warn(
            f"sinkhorn did not reach tol={tol:g} in n_iter={n_iter} iterations (marginal error {errors[-1]:.2e})",
            RuntimeWarning,
            stacklevel=2,
        )
    f = np.full(a.shape, -np.inf)
    g = np.full(b.shape, -np.inf)
    f[rows], g[cols] = fs, gs
    P = np.zeros(C.shape)
    P[np.ix_(rows, cols)] = np.exp((fs[:, None] + gs[None, :] - C[np.ix_(rows, cols)]) / reg)
    return P.astype(dtype), f.astype(dtype), g.astype(dtype), errors


def sinkhorn(a, b, C, reg, n_iter: int = 10_000, tol: float = 1e-9) -> np.ndarray:
    """The entropic optimal-transport plan, by Sinkhorn's iteration in the log domain.

    ``P = argmin <P, C> + reg * sum_ij P_ij (log P_ij - 1)`` over ``P >= 0``
    with ``P 1 = a`` and ``P^T 1 = b``.

    ``a (n,)`` and ``b (m,)`` are nonnegative histograms of equal mass (not
    necessarily 1; zero entries give zero rows or columns of ``P``), ``C``
    the ``(n, m)`` cost matrix, ``reg > 0`` the regularisation strength.
    Iterates at most ``n_iter`` times, until ``||P 1 - a||_1 <= tol`` (the
    column sums are then exact), and warns if that does not happen. Every
    exponential is taken of a number ``<= 0`` after a ``log sum exp`` shift,
    so small ``reg`` neither overflows nor underflows. Equals POT's
    ``ot.sinkhorn(a, b, C, reg)`` where that converges. Returns ``P (n, m)``.
    """
    return sinkhorn_log(a, b, C, reg, n_iter, tol)[0]


def sinkhorn_naive(a, b, C, reg, n_iter: int = 10_000, tol: float = 1e-9) -> np.ndarray:
    """The textbook Sinkhorn-Knopp scaling iteration, **without** any stabilisation.

    With the Gibbs kernel ``K = exp(-C / reg)`` iterate ``v = b / (K^T u)``,
    ``u = a / (K v)`` from ``u = 1`` and return ``P = diag(u) K diag(v)``.
    Mathematically this is :func:`sinkhorn` (``u = exp(f / reg)``,
    ``v = exp(g / reg)``); numerically it breaks down for small ``reg``:
    ``exp(-C_ij / reg)`` underflows to ``0`` once ``C_ij / reg > 745``, a
    row of ``K`` that is entirely zero makes ``u = a / 0 = inf`` and the plan
    gets ``NaN`` (``inf * 0``) or zero rows. This function exists to show
    that failure: it returns whatever the arithmetic produces, silently
    (floating-point warnings suppressed), and stops when the row error is
    ``<= tol`` or is not a number. Inputs as in :func:`sinkhorn`.
    """
    a, b, C, reg, dtype = _check_problem(a, b, C, reg)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    tol = check_scalar(tol, "tol", low=0.0)
    with np.errstate(all="ignore"):
        K = np.exp(-C / reg)
        u = np.ones_like(a)
        for _ in range(n_iter):
            v = b / (K.T @ u)
            u = a / (K @ v)
            err = np.sum(np.abs(v * (K.T @ u) - b))
            if not err > tol:  # converged, or NaN
                break
        P = u[:, None] * K * v[None, :]
    return P.astype(dtype)


def entropic_objective(P, C, reg) -> float:
    """``<P, C> + reg * sum_ij P_ij (log P_ij - 1)`` with ``0 log 0 = 0``.

    ``P`` and ``C`` have the same shape ``(n, m)``, ``P >= 0``, ``reg >= 0``.
    """
    P = as_float_array(P, "P", ndim=2)
    C = as_float_array(C, "C", ndim=2)
    if P.shape != C.shape:
        raise ValueError(f"C must have the shape of P {P.shape}, got shape {C.shape}")
    if np.any(P < 0):
        raise ValueError(f"P must be nonnegative, got a minimum entry of {P.min()!r}")
    reg = check_scalar(reg, "reg", low=0.0)
    logP = np.log(np.where(P > 0, P, 1.0))
    return float(np.sum(P * C) + reg * np.sum(P * (logP - 1.0)))


def sinkhorn_cost(a, b, C, reg, n_iter: int = 10_000, tol: float = 1e-9):
    """The regularised transport cost and its gradients: ``(value, dC, da, db)``.

    ``value = OT_reg(a, b) = <P, C> + reg * sum P (log P - 1)`` at the
    Sinkhorn plan ``P``. By the envelope theorem (the constraints do not
    depend on ``C``; the dual is maximised over ``(f, g)``)::

        dvalue/dC = P                               (n, m)
        dvalue/da = f,   dvalue/db = g              (n,), (m,)

    where ``(f, g)`` are the optimal dual potentials. Since ``OT_reg`` is
    only defined for equal masses, only the directional derivatives along
    ``(delta_a, delta_b)`` with ``sum delta_a = sum delta_b`` are meaningful,
    and ``(f + c, g - c)`` gives the same ones for every constant ``c``.
    **Convention:** the returned ``(da, db)`` are the potentials shifted so
    that ``sum(da) == sum(db)``, i.e. the component along the infeasible
    direction ``(1_n, -1_m)`` is removed (the orthogonal projection onto the
    plane ``sum delta_a = sum delta_b``). Compare other gradients after the
    same shift. ``a`` and ``b`` must be strictly positive (at a zero entry the
    derivative of the entropy is ``-inf``). Inputs as in :func:`sinkhorn`.
    """
    a64, b64, C64, reg, dtype = _check_problem(a, b, C, reg, positive=True)
    P, f, g, _ = sinkhorn_log(a64, b64, C64, reg, n_iter, tol)
    # refresh f as the soft c-transform of g, so the row and column sums of exp((f+g-C)/reg) are both matched
    f = reg * (np.log(a64) - _lse((g[None, :] - C64) / reg, axis=1))
    value = entropic_objective(P, C64, reg)
    shift = (np.sum(f) - np.sum(g)) / (f.size + g.size)
    da, db = f - shift, g + shift
    return float(value), P.astype(dtype), da.astype(dtype), db.astype(dtype)


def squared_distances(X, Y) -> np.ndarray:
    """The cost matrix ``C_ij = ||x_i - y_j||^2`` between the rows of ``X (n, d)`` and ``Y (m, d)``."""
    X = as_float_array(X, "X", ndim=2)
    Y = as_float_array(Y, "Y", ndim=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got shapes {X.shape} and {Y.shape}")
    D = X[:, None, :] - Y[None, :, :]
    return np.einsum("ijk,ijk->ij", D, D)
