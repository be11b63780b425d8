"""The one-dimensional illustration of App. B (figures 9 and 10): two point masses at -1/2 and +1/2.

At a known noise level sigma the optimal denoiser of p = (delta(-1/2) + delta(1/2)) / 2 is exact:
E[x | y] = tanh(y / (2 sigma^2)) / 2, and the optimal denoising step E[x | y] - y is the score scaled by sigma^2
(Miyasawa/Tweedie). A *blind* denoiser does not know sigma; with a log-uniform prior p(sigma) ~ 1/sigma it either
integrates over p(sigma | y) (eq. 18) or plugs in the most probable sigma (the MAP plug-in of App. B), both by
quadrature on a fine log grid of sigma. (The MAP is taken of the density in sigma, as the paper defines it; in one
dimension that differs from the mode over log sigma, which `analysis.mixtures` uses for images, where the two agree.)
The residual f(y) = x_hat(y) - y of the blind
denoiser has stable fixed points on the two masses and an unstable one between them, so iterating
y_k = y_{k-1} + alpha f(y_{k-1}) (the sampler with a fixed step and no injected noise, beta = 1) lands on one mass or
the other depending on where it starts. (The paper writes f(y) = y - x_hat(y) but iterates y + 0.5 f(y), which only
converges with the sign used here, the one of eq. 19.)
"""

from __future__ import annotations

import numpy as np

MASSES = (-0.5, 0.5)


def known_sigma_estimate(y: np.ndarray, sigma: float) -> np.ndarray:
    """E[x | y] for the two masses at a known noise level: tanh(y / (2 sigma^2)) / 2."""
    return 0.5 * np.tanh(np.asarray(y, np.float64) / (2.0 * sigma**2))


def smoothed_density(y: np.ndarray, sigma: float) -> np.ndarray:
    """p_sigma(y): the two masses convolved with a Gaussian of std sigma (the top row of figure 9)."""
    y = np.asarray(y, np.float64)
    return sum(0.5 * np.exp(-0.5 * ((y - m) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi)) for m in MASSES)


SIGMA_GRID = np.logspace(-3, 1, 4001)  # noise levels of the log-uniform prior, 1e-3 to 10


def _log_likelihood(y: np.ndarray) -> np.ndarray:
    """log p(y | sigma) on SIGMA_GRID: (len(y), len(SIGMA_GRID))."""
    y, s = np.asarray(y, np.float64)[:, None], SIGMA_GRID[None, :]
    terms = np.stack([np.log(0.5) - 0.5 * ((y - m) / s) ** 2 for m in MASSES])
    return np.logaddexp(*terms) - np.log(s) - 0.5 * np.log(2 * np.pi)


def map_sigma(y: np.ndarray) -> np.ndarray:
    """The plug-in noise level argmax_sigma p(sigma | y), with the prior density p(sigma) ~ 1/sigma (App. B)."""
    return SIGMA_GRID[np.argmax(_log_likelihood(y) - np.log(SIGMA_GRID), axis=1)]


def blind_estimate(y: np.ndarray, estimate: str = "map") -> np.ndarray:
    """x_hat(y) of the blind denoiser: "map" plugs in map_sigma(y); "posterior" integrates over p(sigma | y) (eq. 18)."""
    y = np.asarray(y, np.float64).reshape(-1)
    if estimate == "map":
        return known_sigma_estimate(y, map_sigma(y))
    if estimate != "posterior":
        raise ValueError(f"estimate must be 'map' or 'posterior', got {estimate!r}")
    # On a log-spaced grid d(sigma) ~ sigma, which cancels the prior's 1/sigma: the weights are the likelihoods.
    log_w = _log_likelihood(y)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    return (w * known_sigma_estimate(y[:, None], SIGMA_GRID[None, :])).sum(axis=1) / w.sum(axis=1)


def residual(y: np.ndarray, estimate: str = "map") -> np.ndarray:
    """f(y) = x_hat(y) - y, the blind denoiser's step (eq. 19: about sigma_hat^2 times the score)."""
    return blind_estimate(y, estimate) - np.asarray(y, np.float64).reshape(-1)


def fixed_points(y: np.ndarray, f: np.ndarray) -> list[dict]:
    """Zeros of f on the grid y (sign changes, linearly interpolated), each stable if f decreases through it."""
    positive = f >= 0  # a grid point where f is exactly 0 counts once, with the side it joins
    found = []
    for i in np.flatnonzero(positive[:-1] != positive[1:]):
        where = y[i] - f[i] * (y[i + 1] - y[i]) / (f[i + 1] - f[i])
        found.append({"y": float(where), "stable": bool(positive[i])})
    return found


def iterate(start: float, steps: int = 30, alpha: float = 0.5, estimate: str = "map") -> np.ndarray:
    """The trajectory y_0 = start, y_k = y_{k-1} + alpha f(y_{k-1}) (figure 10, right)."""
    path = [float(start)]
    for _ in range(steps):
        path.append(path[-1] + alpha * float(residual(np.array([path[-1]]), estimate)[0]))
    return np.array(path)


def bimodal_experiment(
    sigmas=(0.05, 0.2, 0.5, 1.0, 2.0),  # noise levels of figure 9's columns
    starts=(-2.0, -0.2, 0.05, 1.5),  # initial points of the sampler trajectories (figure 10 shows -2)
    steps: int = 30,  # sampler iterations
    alpha: float = 0.5,  # fixed step size (figure 10)
    span: float = 2.5,  # y axis from -span to span
    points: int = 2001,  # grid of y (odd, so 0 is on it)
) -> dict:
    """Everything figures 9 and 10 show, as arrays and numbers."""
    y = np.linspace(-span, span, points)
    f_map, f_post = residual(y, "map"), residual(y, "posterior")
    return {
        "y": y,
        "sigmas": list(sigmas),
        "densities": np.stack([smoothed_density(y, s) for s in sigmas]),
        "optimal_steps": np.stack([known_sigma_estimate(y, s) - y for s in sigmas]),
        "residual_map": f_map,
        "residual_posterior": f_post,
        "map_sigma": map_sigma(y),
        "fixed_points_map": fixed_points(y, f_map),
        "fixed_points_posterior": fixed_points(y, f_post),
        "trajectories": {float(s): iterate(s, steps, alpha) for s in starts},
        "alpha": alpha,
        "steps": steps,
    }
