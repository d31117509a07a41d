"""Belief propagation on pairwise Markov random fields.

A pairwise MRF over ``n`` discrete variables ``x_i in {0, ..., K-1}`` is::

    p(x) = (1 / Z) prod_i phi_i(x_i) prod_{(i, j) in edges} psi_ij(x_i, x_j)

with nonnegative tables ``unary[i] = phi_i`` (shape ``(n, K)``) and
``pairwise[k] = psi_ij`` (shape ``(K, K)``, indexed ``[x_i, x_j]`` for
``edges[k] = (i, j)``). The sum-product message from ``i`` to a neighbour
``j`` is::

    m_{i->j}(x_j) = sum_{x_i} phi_i(x_i) psi_ij(x_i, x_j) prod_{u in N(i) \\ j} m_{u->i}(x_i)

and the belief of node ``i`` is ``b_i(x_i) ~ phi_i(x_i) prod_{u in N(i)} m_{u->i}(x_i)``.
On a tree two sweeps (leaves to root, root to leaves) make the beliefs the
exact marginals (:func:`tree_marginals`); replacing the sum by a maximum
gives the most probable assignment (:func:`tree_map`). On a graph with
cycles the same updates iterated in parallel are *loopy* belief propagation
(:func:`loopy_bp`), which may converge to approximate marginals or
oscillate. Messages are normalised to sum 1, which changes no belief.
"""

from __future__ import annotations

import numbers
from collections import deque

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_scalar

__all__ = [
    "tree_marginals",
    "sum_product",
    "tree_map",
    "loopy_bp",
    "grid_edges",
    "ising_grid",
]


# --- input checks -----------------------------------------------------------------------------


def _check_edges(edges, n: int) -> list[tuple[int, int]]:
    try:
        pairs = [tuple(e) for e in edges]
    except TypeError as exc:
        raise ValueError(f"edges must be a list of (i, j) pairs, got {type(edges).__name__}") from exc
    out, seen = [], set()
    for k, pair in enumerate(pairs):
        if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair):
            raise ValueError(f"edges must be a list of (i, j) pairs of integers, got edges[{k}] = {pair!r}")
        i, j = int(pair[0]), int(pair[1])
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"edges must join nodes 0..{n - 1} (n = len(unary)), got edges[{k}] = {(i, j)}")
        if i == j:
            raise ValueError(f"edges must not contain a self-loop, got edges[{k}] = {(i, j)}")
        key = (min(i, j), max(i, j))
        if key in seen:
            raise ValueError(f"edges must not repeat an edge, got {(i, j)} twice (edges[{k}])")
        seen.add(key)
        out.append((i, j))
    return out


def _check_tree(edges: list[tuple[int, int]], n: int) -> None:
    """A tree on ``n`` nodes: ``n - 1`` edges, no cycle (hence connected)."""
    if len(edges) != n - 1:
        raise ValueError(
            f"edges must form a tree (a connected graph without cycles) on the {n} nodes, i.e. have {n - 1} edges; "
            f"got {len(edges)} edges"
        )
    parent = list(range(n))

    def root(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for k, (i, j) in enumerate(edges):
        ri, rj = root(i), root(j)
        if ri == rj:
            raise ValueError(f"edges must form a tree, but edges[{k}] = {(i, j)} closes a cycle")
        parent[ri] = rj


def _check_mrf(unary, edges, pairwise, *, tree: bool):
    unary = as_float_array(unary, "unary", ndim=2)
    check_nonempty(unary, "unary")
    if np.any(unary < 0):
        raise ValueError(f"unary must be nonnegative, got a minimum entry of {unary.min()!r}")
    n, K = unary.shape
    edges = _check_edges(edges, n)
    if tree:
        _check_tree(edges, n)
    try:
        tables = list(pairwise)
    except TypeError as exc:
        raise ValueError(f"pairwise must be a list of (K, K) tables, got {type(pairwise).__name__}") from exc
    if len(tables) != len(edges):
        raise ValueError(f"pairwise must hold one table per edge ({len(edges)}), got {len(tables)}")
    out = []
    for k, table in enumerate(tables):
        t = as_float_array(table, f"pairwise[{k}]", ndim=2)
        if t.shape != (K, K):
            raise ValueError(f"pairwise[{k}] must have shape (K, K) = {(K, K)}, got shape {t.shape}")
        if np.any(t < 0):
            raise ValueError(f"pairwise[{k}] must be nonnegative, got a minimum entry of {t.min()!r}")
        out.append(t)
    dtype = np.result_type(unary, *out)
    return unary.astype(np.float64), edges, [t.astype(np.float64) for t in out], dtype


def _neighbours(n: int, edges, tables):
    """``nbrs[i]`` = list of ``(j, T)`` with ``T[x_i, x_j]`` the table of the edge oriented from ``i`` to ``j``."""
    nbrs: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(n)]
    for (i, j), t in zip(edges, tables):
        nbrs[i].append((j, t))
        nbrs[j].append((i, t.T))
    return nbrs


def _bfs_order(n: int, nbrs, root: int = 0):
    order, parent = [root], {root: -1}
    queue = deque([root])
    while queue:
        v = queue.popleft()
        for u, _ in nbrs[v]:
            if u not in parent:
                parent[u] = v
                order.append(u)
                queue.append(u)
    return order, parent


def _zero_model_error() -> ValueError:
    return ValueError("unary and pairwise give every assignment weight 0, so the distribution is undefined")


# --- exact inference on trees -----------------------------------------------------------------


def sum_product(unary, edges, pairwise):
    """Sum-product on a tree: ``(marginals, edge_marginals, log_z)``.

    ``marginals (n, K)``: ``p(x_i = k)``; ``edge_marginals``: a list with, for
    ``edges[k] = (i, j)``, the ``(K, K)`` table ``p(x_i, x_j)``; ``log_z``:
    ``log Z = log sum_x prod_i phi_i(x_i) prod_(i,j) psi_ij(x_i, x_j)``.
    One sweep from the leaves to the root (node 0) and one back, ``2 (n - 1)``
    messages in all, each normalised to sum 1 with the normalisers
    accumulated into ``log_z``. Cost ``O(n K^2)``. Inputs and errors as in
    :func:`tree_marginals`.
    """
    unary, edges, tables, dtype = _check_mrf(unary, edges, pairwise, tree=True)
    n, K = unary.shape
    nbrs = _neighbours(n, edges, tables)
    order, parent = _bfs_order(n, nbrs)
    msg: dict[tuple[int, int], np.ndarray] = {}
    log_z = 0.0

    def cavity(i: int, exclude: int) -> np.ndarray:
        h = unary[i].copy()
        for u, _ in nbrs[i]:
            if u != exclude:
                h *= msg[(u, i)]
        return h

    for v in reversed(order[1:]):  # leaves to root
        p = parent[v]
        table = next(t for u, t in nbrs[v] if u == p)
        m = cavity(v, p) @ table
        s = m.sum()
        if s <= 0:
            raise _zero_model_error()
        msg[(v, p)] = m / s
        log_z += np.log(s)
    root_belief = cavity(order[0], -1)
    s = root_belief.sum()
    if s <= 0:
        raise _zero_model_error()
    log_z += np.log(s)
    for v in order:  # root to leaves
        for u, table in nbrs[v]:
            if u != parent[v]:
                m = cavity(v, u) @ table
                msg[(v, u)] = m / m.sum()
    marginals = np.empty((n, K))
    for i in range(n):
        b = cavity(i, -1)
        marginals[i] = b / b.sum()
    edge_marginals = []
    for (i, j), t in zip(edges, tables):
        joint = cavity(i, j)[:, None] * t * cavity(j, i)[None, :]
        edge_marginals.append((joint / joint.sum()).astype(dtype))
    return marginals.astype(dtype), edge_marginals, float(log_z)


def tree_marginals(unary, edges, pairwise) -> np.ndarray:
    """Exact node marginals ``(n, K)`` of a tree-structured pairwise MRF, by sum-product.

    ``unary (n, K)`` nonnegative node tables ``phi_i``; ``edges`` a list of
    ``(i, j)`` pairs that must form a tree on the ``n`` nodes (``n - 1``
    edges, connected, no cycle; otherwise a ``ValueError`` naming ``edges``);
    ``pairwise`` a list of nonnegative ``(K, K)`` tables, ``pairwise[k][x_i, x_j]``
    for ``edges[k] = (i, j)``. Returns ``p(x_i = k)`` for
    ``p(x) ~ prod_i phi_i(x_i) prod_(i,j) psi_ij(x_i, x_j)``; each row sums
    to 1. A model whose every assignment has weight 0 raises ``ValueError``.
    """
    return sum_product(unary, edges, pairwise)[0]


def tree_map(unary, edges, pairwise):
    """The most probable assignment of a tree-structured MRF, by max-product: ``(x, log_weight)``.

    Max-product is sum-product with ``sum`` replaced by ``max``; in the log
    domain (max-sum), from the leaves to the root (node 0)::

        mu_{v->p}(x_p) = max_{x_v} [log phi_v(x_v) + log psi_vp(x_v, x_p) + sum_{c child of v} mu_{c->v}(x_v)],

    remembering the maximising ``x_v`` for every ``x_p``; the root takes
    its best state and the remembered choices are read back to the leaves.
    Returns ``x (n,)`` (integers in ``0..K-1``) maximising
    ``prod_i phi_i(x_i) prod_(i,j) psi_ij(x_i, x_j)``, and
    ``log_weight``, the log of that maximum (unnormalised). Ties go to the
    smallest state. Inputs and errors as in :func:`tree_marginals`.
    """
    unary, edges, tables, _ = _check_mrf(unary, edges, pairwise, tree=True)
    n, _K = unary.shape
    with np.errstate(divide="ignore"):
        log_unary = np.log(unary)
        nbrs = [[(u, np.log(t)) for u, t in lst] for lst in _neighbours(n, edges, tables)]
    order, parent = _bfs_order(n, nbrs)
    score = log_unary.copy()  # log phi_v plus the messages received from the children
    back: dict[int, np.ndarray] = {}
    for v in reversed(order[1:]):
        p = parent[v]
        log_table = next(t for u, t in nbrs[v] if u == p)
        candidates = score[v][:, None] + log_table  # (x_v, x_p)
        back[v] = np.argmax(candidates, axis=0)
        score[p] = score[p] + np.max(candidates, axis=0)
    root = order[0]
    x = np.zeros(n, dtype=np.int64)
    x[root] = int(np.argmax(score[root]))
    log_weight = float(score[root, x[root]])
    if not np.isfinite(log_weight):
        raise _zero_model_error()
    for v in order[1:]:
        x[v] = back[v][x[parent[v]]]
    return x, log_weight


# --- loopy belief propagation -----------------------------------------------------------------


def loopy_bp(unary, edges, pairwise, n_iter: int = 200, damping: float = 0.0, tol: float = 1e-10, init=None):
    """Loopy belief propagation with parallel (flooding) updates: ``(marginals, converged, history)``.

    All ``2 |E|`` messages are recomputed at once from the previous ones by
    the sum-product rule (module docstring), normalised to sum 1, and damped::

        m <- damping * m_old + (1 - damping) * m_new,     0 <= damping < 1.

    Message ``2k`` is ``m_{i->j}`` (a function of ``x_j``) and message
    ``2k + 1`` is ``m_{j->i}`` for ``edges[k] = (i, j)``. They start uniform
    (or at ``init``, shape ``(2|E|, K)``, positive). Iteration stops when no
    message moved more than ``tol`` (max-abs) or after ``n_iter`` sweeps.

    Returns the beliefs ``(n, K)`` (exact marginals when the graph is a tree
    and enough sweeps were done; an approximation otherwise),
    ``converged`` (bool), and ``history (T + 1, 2|E|, K)``: the messages
    before the first sweep and after each of the ``T`` sweeps done. ``edges``
    may contain cycles; other inputs as in :func:`tree_marginals`.
    """
    unary, edges, tables, dtype = _check_mrf(unary, edges, pairwise, tree=False)
    n, K = unary.shape
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    damping = check_scalar(damping, "damping", low=0.0, high=1.0, high_open=True)
    tol = check_scalar(tol, "tol", low=0.0)
    E = len(edges)
    src = np.empty(2 * E, dtype=np.int64)
    dst = np.empty(2 * E, dtype=np.int64)
    oriented = []  # oriented[d][x_src, x_dst]
    for k, ((i, j), t) in enumerate(zip(edges, tables)):
        src[2 * k], dst[2 * k] = i, j
        src[2 * k + 1], dst[2 * k + 1] = j, i
        oriented += [t, t.T]
    incoming = [[d for d in range(2 * E) if dst[d] == i] for i in range(n)]
    reverse = np.arange(2 * E) ^ 1  # the message going back along the same edge
    if init is None:
        m = np.full((2 * E, K), 1.0 / K)
    else:
        m = as_float_array(init, "init", ndim=2)
        if m.shape != (2 * E, K):
            raise ValueError(f"init must have shape (2 * len(edges), K) = {(2 * E, K)}, got shape {m.shape}")
        if np.any(m <= 0):
            raise ValueError(f"init must be positive, got a minimum entry of {m.min()!r}")
        m = m / m.sum(axis=1, keepdims=True)
    history = [m.copy()]
    converged = False
    for _ in range(n_iter):
        new = np.empty_like(m)
        for d in range(2 * E):
            h = unary[src[d]].copy()
            for e in incoming[src[d]]:
                if e != reverse[d]:
                    h *= m[e]
            out = h @ oriented[d]
            s = out.sum()
            if s <= 0:
                raise ValueError(f"unary and pairwise produce an all-zero message from node {src[d]} to node {dst[d]}")
            new[d] = out / s
        new = damping * m + (1.0 - damping) * new
        change = float(np.max(np.abs(new - m))) if E else 0.0
        m = new
        history.append(m.copy())
        if change <= tol:
            converged = True
            break
    beliefs = unary.copy()
    for i in range(n):
        for e in incoming[i]:
            beliefs[i] *= m[e]
    sums = beliefs.sum(axis=1, keepdims=True)
    if np.any(sums <= 0):
        raise _zero_model_error()
    messages = np.array(history).reshape(len(history), 2 * E, K)
    return (beliefs / sums).astype(dtype), converged, messages.astype(dtype)


# --- models -----------------------------------------------------------------------------------


def grid_edges(rows: int, cols: int) -> list[tuple[int, int]]:
    """The edges of a ``rows x cols`` 4-neighbour grid; node ``r * cols + c`` is row ``r``, column ``c``.

    Horizontal edges ``(v, v + 1)`` and vertical edges ``(v, v + cols)``, in
    row-major order of their first node: ``rows (cols - 1) + (rows - 1) cols``
    edges.
    """
    rows = check_int(rows, "rows", minimum=1)
    cols = check_int(cols, "cols", minimum=1)
    edges = []
    for r in range(rows):
        for c in range(cols):
            v = r * cols + c
            if c + 1 < cols:
                edges.append((v, v + 1))
            if r + 1 < rows:
                edges.append((v, v + cols))
    return edges


def ising_grid(rows: int, cols: int, coupling, field):
    """An Ising model on a grid as a pairwise MRF: ``(unary, edges, pairwise)`` with ``K = 2``.

    Spins ``s_i = 2 x_i - 1 in {-1, +1}`` (state 0 is ``-1``) and
    ``p(s) ~ exp(sum_(i,j) J_ij s_i s_j + sum_i h_i s_i)``: ``unary[i] =
    (exp(-h_i), exp(h_i))``, ``pairwise[k] = [[e^J, e^-J], [e^-J, e^J]]``.
    ``coupling`` is ``J``: a number or one value per edge of
    :func:`grid_edges` (``J > 0`` ferromagnetic, favouring equal spins);
    ``field`` is ``h``: a number or one value per node.
    """
    edges = grid_edges(rows, cols)
    n = rows * cols
    J = as_float_array(coupling, "coupling", ndim=(0, 1))
    h = as_float_array(field, "field", ndim=(0, 1))
    J = np.broadcast_to(J, (len(edges),)) if J.ndim == 0 else J
    h = np.broadcast_to(h, (n,)) if h.ndim == 0 else h
    if J.shape != (len(edges),):
        raise ValueError(f"coupling must be a number or have one value per edge ({len(edges)}), got shape {J.shape}")
    if h.shape != (n,):
        raise ValueError(f"field must be a number or have one value per node ({n}), got shape {h.shape}")
    unary = np.exp(np.stack([-h, h], axis=1).astype(np.float64))
    pairwise = [np.exp(np.array([[Jk, -Jk], [-Jk, Jk]], dtype=np.float64)) for Jk in J]
    return unary, edges, pairwise
