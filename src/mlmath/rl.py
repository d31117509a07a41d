"""Policy gradients: the score-function (REINFORCE) estimator and exact gradients.

Derived in the chapter *Policy gradients*.

**Bandit.** A softmax policy ``pi = softmax(theta)`` over ``K`` arms with mean
rewards ``r`` has expected reward ``J(theta) = pi . r`` and exact gradient
``dJ/dtheta = pi * (r - J)`` (:func:`bandit_policy_gradient`). The
log-derivative trick writes it as ``E_{a ~ pi}[r_a grad log pi(a)]`` with the
*score* ``grad log pi(a) = e_a - pi`` (:func:`softmax_score`); REINFORCE
(:func:`reinforce`) averages ``(R_k - b) (e_{a_k} - pi)`` over ``n`` sampled
arms. Every constant baseline ``b`` leaves it unbiased; the one that minimises
the variance is ``b* = E[R ||g||^2] / E[||g||^2]``
(:func:`bandit_optimal_baseline`, :func:`bandit_gradient_variance`).

**Gridworld.** :func:`gridworld` builds a small episodic Markov decision
process (:class:`Gridworld`): states are the free cells of a grid, actions
move up/right/down/left (with probability ``slip`` to a perpendicular
direction), entering a cell pays its reward, and ``G`` (goal) and ``P`` (pit)
cells end the episode. The policy is tabular softmax, ``pi(a | s) =
softmax(theta[s])`` with ``theta`` of shape ``(S, A)``. Everything exact comes
from the linear Bellman system ``(I - gamma P_pi) V = r_pi``
(:func:`policy_evaluation`); the exact policy gradient is the policy gradient
theorem ``dJ/dtheta[s, a] = d(s) pi(a|s) (Q(s, a) - V(s))`` with the
discounted visitation ``d = (I - gamma P_pi^T)^{-1} mu0``
(:func:`state_visitation`, :func:`policy_gradient`), and
:func:`reinforce_episodes` is its Monte Carlo (REINFORCE) estimate from
sampled episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, check_int, check_nonempty, check_same_shape, check_scalar
from .layers.softmax import softmax

__all__ = [
    "bandit_policy_gradient",
    "softmax_score",
    "reinforce",
    "bandit_optimal_baseline",
    "bandit_gradient_variance",
    "Gridworld",
    "gridworld",
    "ACTIONS",
    "DEFAULT_LAYOUT",
    "tabular_policy",
    "policy_evaluation",
    "expected_return",
    "state_visitation",
    "policy_gradient",
    "reinforce_episodes",
]


# --- bandits ---------------------------------------------------------------------------------


def _theta_1d(theta) -> np.ndarray:
    theta = as_float_array(theta, "theta", ndim=1)
    check_nonempty(theta, "theta")
    return theta


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def bandit_policy_gradient(theta, r) -> np.ndarray:
    """Exact gradient of ``J(theta) = softmax(theta) . r``.

    ``theta`` and ``r`` have shape ``(K,)``; with ``pi = softmax(theta)``,
    ``dJ/dtheta = (diag(pi) - pi pi^T) r = pi * (r - pi . r)``, shape ``(K,)``.
    """
    theta = _theta_1d(theta)
    r = as_float_array(r, "r", ndim=1)
    check_same_shape(theta, r, "theta", "r")
    pi = softmax(theta)
    return pi * (r - pi @ r)


def softmax_score(theta, actions) -> np.ndarray:
    """The score ``grad_theta log softmax(theta)[a] = e_a - softmax(theta)`` for each ``a`` in ``actions``.

    ``theta`` has shape ``(K,)``, ``actions`` integer entries in ``0..K-1`` of
    shape ``(n,)``; the result has shape ``(n, K)`` (row ``k`` is the score of
    ``actions[k]``).
    """
    theta = _theta_1d(theta)
    a = _actions(actions, theta.size, "actions")
    score = -np.broadcast_to(softmax(theta), (a.size, theta.size)).copy()
    score[np.arange(a.size), a] += 1.0
    return score


def _actions(actions, k: int, name: str) -> np.ndarray:
    a = np.asarray(actions)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of action indices, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= k):
        raise ValueError(f"{name} must lie in 0..{k - 1}, got values from {a.min()} to {a.max()}")
    return a.astype(np.intp)


def _sample_categorical(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling: for rows of cumulative probabilities ``cum (..., K)`` and uniforms ``u (...)``."""
    idx = np.sum(u[..., None] >= cum, axis=-1)
    return np.minimum(idx, cum.shape[-1] - 1)  # guard against cum[-1] = 1 - 1e-16


def reinforce(theta, sample_reward, n, rng, baseline=None):
    """REINFORCE (score-function) estimate of the gradient of the expected reward of a softmax bandit.

    Draws ``n`` arms ``a_k ~ softmax(theta)`` with ``rng`` (one uniform per
    arm, inverse-CDF), calls ``sample_reward(a_k)`` once per arm (``a_k`` a
    Python ``int``; the function may be random and must return a finite
    number), and returns ``(grad_estimate, samples)``:

    ``grad_estimate = (1/n) sum_k (sample_reward(a_k) - baseline) (e_{a_k} - softmax(theta))``,

    shape ``(K,)``, and ``samples``, the arms ``a_k`` (integer array ``(n,)``).
    ``baseline`` is a number (``None`` means ``0``); any constant leaves the
    estimate unbiased for :func:`bandit_policy_gradient` of the mean rewards.
    """
    theta = _theta_1d(theta)
    if not callable(sample_reward):
        raise ValueError(f"sample_reward must be callable (arm -> reward), got {type(sample_reward).__name__}")
    n = check_int(n, "n", minimum=1)
    rng = _check_rng(rng)
    b = 0.0 if baseline is None else check_scalar(baseline, "baseline")
    pi = softmax(theta)
    arms = _sample_categorical(np.cumsum(pi), rng.random(n))
    rewards = np.empty(n)
    for k, a in enumerate(arms):
        value = sample_reward(int(a))
        if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0 or not np.isrealobj(value):
            raise ValueError(f"sample_reward must return a real number, got {value!r} for arm {a}")
        try:
            rewards[k] = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sample_reward must return a real number, got {value!r} for arm {a}") from exc
    if not np.all(np.isfinite(rewards)):
        raise ValueError("sample_reward must return finite numbers, got a non-finite reward")
    grad = np.mean((rewards - b)[:, None] * softmax_score(theta, arms), axis=0)
    return grad.astype(theta.dtype, copy=False), arms


def _score_norms(pi: np.ndarray) -> np.ndarray:
    """``||e_a - pi||^2 = 1 - 2 pi_a + ||pi||^2`` for every arm ``a``."""
    return 1.0 - 2.0 * pi + pi @ pi


def bandit_optimal_baseline(theta, r) -> float:
    """The constant baseline minimising the variance of the one-sample REINFORCE estimate.

    ``b* = E[R ||g||^2] / E[||g||^2] = sum_a pi_a r_a ||e_a - pi||^2 / sum_a pi_a ||e_a - pi||^2``
    (``r`` the mean rewards, shape ``(K,)``; zero-mean reward noise does not
    change it). Requires ``K >= 2`` (for ``K = 1`` the score is zero).
    """
    theta = _theta_1d(theta)
    r = as_float_array(r, "r", ndim=1)
    check_same_shape(theta, r, "theta", "r")
    if theta.size < 2:
        raise ValueError(f"theta must have at least 2 arms for the baseline to matter, got shape {theta.shape}")
    pi = softmax(theta)
    w = pi * _score_norms(pi)
    return float(w @ r / w.sum())


def bandit_gradient_variance(theta, r, baseline=0.0, reward_var=0.0) -> float:
    """Total variance ``E||g - grad J||^2`` of the one-sample REINFORCE estimate ``g = (R - b)(e_a - pi)``.

    With mean rewards ``r (K,)`` and reward noise variances ``reward_var``
    (a number or ``(K,)``), ``E||g||^2 = sum_a pi_a ((r_a - b)^2 + var_a) ||e_a - pi||^2``
    and the variance is that minus ``||grad J||^2``. The average of ``n``
    independent samples has variance this divided by ``n``.
    """
    theta = _theta_1d(theta)
    r = as_float_array(r, "r", ndim=1)
    check_same_shape(theta, r, "theta", "r")
    b = check_scalar(baseline, "baseline")
    var = as_float_array(reward_var, "reward_var", ndim=(0, 1))
    if var.ndim == 1:
        check_same_shape(var, r, "reward_var", "r")
    if np.any(var < 0):
        raise ValueError(f"reward_var must be >= 0, got minimum {var.min()}")
    pi = softmax(theta)
    second = np.sum(pi * ((r - b) ** 2 + var) * _score_norms(pi))
    grad = pi * (r - pi @ r)
    return float(second - grad @ grad)


# --- a small episodic gridworld --------------------------------------------------------------

#: The actions, in the order of the second axis of ``theta``.
ACTIONS = ("up", "right", "down", "left")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))

#: The default layout: ``S`` start, ``G`` goal (+1, ends), ``P`` pit (-1, ends), ``#`` wall, ``.`` free.
DEFAULT_LAYOUT = (
    "...G",
    ".#.P",
    "S...",
)


@dataclass(frozen=True)
class Gridworld:
    """A finite episodic Markov decision process on the free cells of a grid.

    ``P[s, a, t]`` (shape ``(S, A, S)``) is the probability of moving from
    state ``s`` to ``t`` under action ``a``; the rows of terminal states are
    zero (the episode has ended). ``reward[t]`` is paid on entering ``t``;
    ``mu0`` is the start distribution; ``terminal`` marks goal and pit
    states; ``gamma`` in ``(0, 1]`` discounts; ``cells[s]`` is the
    ``(row, col)`` of state ``s`` (row-major order of the free cells) in a
    grid of ``shape``. ``R[s, a] = sum_t P[s, a, t] reward[t]`` is the
    expected immediate reward.
    """

    P: np.ndarray
    reward: np.ndarray
    mu0: np.ndarray
    terminal: np.ndarray
    gamma: float
    cells: tuple
    shape: tuple
    layout: tuple

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    @property
    def R(self) -> np.ndarray:
        return self.P @ self.reward


def gridworld(layout=DEFAULT_LAYOUT, slip=0.2, step_reward=-0.04, goal_reward=1.0, pit_reward=-1.0, gamma=1.0) -> Gridworld:
    """Build a :class:`Gridworld` from a ``layout`` (a sequence of equal-length strings).

    Characters: ``.`` free, ``S`` start (free; several start cells start
    uniformly), ``G`` goal and ``P`` pit (terminal, paying ``goal_reward`` and
    ``pit_reward`` on entry), ``#`` wall. Every other entered cell pays
    ``step_reward``. An action moves in its direction with probability
    ``1 - slip`` and in each perpendicular direction with ``slip / 2``; a move
    into a wall or off the grid stays put. With ``gamma = 1`` every free cell
    must be able to reach a terminal cell (so every softmax policy ends its
    episodes with probability one).
    """
    if isinstance(layout, str) or not all(isinstance(row, str) for row in layout) or len(layout) == 0:
        raise ValueError(f"layout must be a non-empty sequence of strings, got {layout!r}")
    rows = tuple(layout)
    width = len(rows[0])
    if width == 0 or any(len(row) != width for row in rows):
        raise ValueError(f"layout rows must be non-empty and of equal length, got lengths {[len(r) for r in rows]}")
    bad = set("".join(rows)) - set(".SGP#")
    if bad:
        raise ValueError(f"layout may only use the characters '.SGP#', got {sorted(bad)}")
    slip = check_scalar(slip, "slip", low=0.0, high=1.0)
    gamma = check_scalar(gamma, "gamma", low=0.0, high=1.0, low_open=True)
    step_reward = check_scalar(step_reward, "step_reward")
    goal_reward = check_scalar(goal_reward, "goal_reward")
    pit_reward = check_scalar(pit_reward, "pit_reward")
    cells = tuple((i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if c != "#")
    index = {cell: s for s, cell in enumerate(cells)}
    kinds = [rows[i][j] for i, j in cells]
    if "S" not in kinds:
        raise ValueError("layout must contain at least one start cell 'S'")
    terminal = np.array([k in "GP" for k in kinds])
    if not terminal.any():
        raise ValueError("layout must contain at least one terminal cell ('G' or 'P')")
    n_s, n_a = len(cells), len(_MOVES)
    reward = np.array([goal_reward if k == "G" else pit_reward if k == "P" else step_reward for k in kinds])
    mu0 = np.array([k == "S" for k in kinds], dtype=float)
    mu0 /= mu0.sum()

    def target(cell, move):
        i, j = cell[0] + move[0], cell[1] + move[1]
        return index.get((i, j), index[cell]) if 0 <= i < len(rows) and 0 <= j < width else index[cell]

    P = np.zeros((n_s, n_a, n_s))
    for s, cell in enumerate(cells):
        if terminal[s]:
            continue
        for a in range(n_a):
            for direction, prob in ((a, 1.0 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                P[s, a, target(cell, _MOVES[direction])] += prob
    if gamma == 1.0:
        reach = terminal.copy()
        edges = P.sum(axis=1) > 0
        for _ in range(n_s):
            reach = reach | (edges.astype(float) @ reach.astype(float) > 0)
        if not reach.all():
            stuck = [cells[s] for s in np.flatnonzero(~reach)]
            raise ValueError(f"layout: with gamma = 1 every cell must reach a terminal cell; cells {stuck} cannot")
    return Gridworld(P, reward, mu0, terminal, gamma, cells, (len(rows), width), rows)


def _check_mdp(mdp) -> Gridworld:
    if not isinstance(mdp, Gridworld):
        raise ValueError(f"mdp must be a Gridworld (from mlmath.rl.gridworld), got {type(mdp).__name__}")
    return mdp


def tabular_policy(mdp: Gridworld, theta) -> np.ndarray:
    """``pi[s, a] = softmax(theta[s])[a]``; ``theta`` and the result have shape ``(S, A)``."""
    mdp = _check_mdp(mdp)
    theta = as_float_array(theta, "theta", ndim=2)
    if theta.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"theta must have shape (S, A) = {(mdp.n_states, mdp.n_actions)}, got {theta.shape}")
    return softmax(theta, axis=1)


def _bellman_matrix(mdp: Gridworld, pi: np.ndarray) -> np.ndarray:
    """``I - gamma P_pi`` with ``P_pi[s, t] = sum_a pi[s, a] P[s, a, t]``."""
    return np.eye(mdp.n_states) - mdp.gamma * np.einsum("sa,sat->st", pi, mdp.P)


def policy_evaluation(mdp: Gridworld, theta):
    """``(V, Q)`` of the softmax policy ``theta`` by solving the linear Bellman system.

    ``V = (I - gamma P_pi)^{-1} r_pi`` with ``r_pi[s] = sum_a pi[s, a] R[s, a]``
    (shape ``(S,)``; ``V = 0`` at terminal states) and
    ``Q[s, a] = R[s, a] + gamma sum_t P[s, a, t] V[t]`` (shape ``(S, A)``).
    With ``gamma = 1`` the system is invertible because every softmax policy
    ends its episodes, but a nearly deterministic policy that walks into a
    wall for ever (``theta`` entries of size ~30 and more) makes it
    ill-conditioned: the expected episode length is then astronomical.
    """
    pi = tabular_policy(mdp, theta)
    R = mdp.R
    V = np.linalg.solve(_bellman_matrix(mdp, pi), np.sum(pi * R, axis=1))
    Q = R + mdp.gamma * mdp.P @ V
    return V, Q


def expected_return(mdp: Gridworld, theta) -> float:
    """``J(theta) = E[sum_t gamma^t r_{t+1}] = mu0 . V``, the expected (discounted) return of an episode."""
    V, _ = policy_evaluation(mdp, theta)
    return float(mdp.mu0 @ V)


def state_visitation(mdp: Gridworld, theta) -> np.ndarray:
    """Discounted expected visits ``d(s) = sum_t gamma^t P(s_t = s)`` (shape ``(S,)``).

    Solves ``(I - gamma P_pi)^T d = mu0``; with ``gamma = 1`` it is the
    expected number of visits to ``s`` in an episode.
    """
    pi = tabular_policy(mdp, theta)
    return np.linalg.solve(_bellman_matrix(mdp, pi).T, mdp.mu0)


def policy_gradient(mdp: Gridworld, theta) -> np.ndarray:
    """Exact ``dJ/dtheta`` by the policy gradient theorem, shape ``(S, A)``.

    ``dJ/dtheta[s, a] = d(s) pi(a|s) (Q(s, a) - V(s))``: the theorem's
    ``sum_s d(s) sum_a Q(s, a) grad pi(a|s)`` for the tabular softmax policy,
    whose ``d pi(a'|s) / d theta[s, a] = pi(a'|s) (1[a = a'] - pi(a|s))``.
    """
    pi = tabular_policy(mdp, theta)
    V, Q = policy_evaluation(mdp, theta)
    d = state_visitation(mdp, theta)
    return d[:, None] * pi * (Q - V[:, None])


def reinforce_episodes(mdp: Gridworld, theta, n, rng, baseline=None, max_steps=10_000):
    """REINFORCE estimate of :func:`policy_gradient` from ``n`` sampled episodes.

    Each episode starts from ``mu0`` and follows ``pi = softmax(theta[s])``
    until it enters a terminal state. Its gradient estimate is

    ``g = sum_t gamma^t (G_t - b(s_t)) (e_{a_t} - pi(. | s_t))`` placed in row ``s_t``,

    with the reward-to-go ``G_t = sum_{k >= t} gamma^{k-t} r_{k+1}`` and the
    baseline ``b`` (``None``: 0; a number; or an array ``(S,)`` of per-state
    values). Returns ``(grad_estimate, episode_grads, returns)``: the mean
    ``(S, A)``, each episode's ``g`` ``(n, S, A)``, and each episode's return
    ``G_0`` ``(n,)``, whose mean estimates :func:`expected_return`. The ``n``
    episodes are simulated together; all randomness comes from ``rng``.
    """
    pi = tabular_policy(mdp, theta)
    n = check_int(n, "n", minimum=1)
    rng = _check_rng(rng)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    n_s, n_a = pi.shape
    if baseline is None:
        b = np.zeros(n_s)
    elif np.ndim(baseline) == 0:
        b = np.full(n_s, check_scalar(baseline, "baseline"))
    else:
        b = as_float_array(baseline, "baseline", ndim=1)
        if b.shape != (n_s,):
            raise ValueError(f"baseline must be a number or an array of shape (S,) = ({n_s},), got shape {b.shape}")
    cum_pi, cum_P = np.cumsum(pi, axis=1), np.cumsum(mdp.P, axis=2)
    s = _sample_categorical(np.broadcast_to(np.cumsum(mdp.mu0), (n, n_s)), rng.random(n))
    states, actions, rewards, alive_steps = [], [], [], []
    alive = ~mdp.terminal[s]
    for _ in range(max_steps):
        if not alive.any():
            break
        a = _sample_categorical(cum_pi[s], rng.random(n))
        nxt = _sample_categorical(cum_P[s, a], rng.random(n))
        nxt = np.where(alive, nxt, s)
        states.append(s)
        actions.append(a)
        rewards.append(np.where(alive, mdp.reward[nxt], 0.0))
        alive_steps.append(alive)
        s = nxt
        alive = alive & ~mdp.terminal[s]
    else:
        if alive.any():
            raise ValueError(f"max_steps = {max_steps} was reached before all episodes ended; increase max_steps")
    episode_grads = np.zeros((n, n_s, n_a))
    G = np.zeros(n)
    episodes = np.arange(n)
    for t in range(len(states) - 1, -1, -1):
        G = rewards[t] + mdp.gamma * G
        live = alive_steps[t]
        ep, st, ac = episodes[live], states[t][live], actions[t][live]
        score = -pi[st]
        score[np.arange(ep.size), ac] += 1.0
        coef = mdp.gamma**t * (G[live] - b[st])
        np.add.at(episode_grads, (ep, st), coef[:, None] * score)
    return episode_grads.mean(axis=0), episode_grads, G
