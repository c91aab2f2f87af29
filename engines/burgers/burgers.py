"""Burgers engine library: solver, random initial conditions, POD surrogate.

Pure Python 3 standard library (no numpy). Everything here is deterministic:
the same inputs and the same seed give bit-identical floats on a machine.

Physics
-------
The 1-D viscous Burgers equation

    u_t + (u^2 / 2)_x = nu * u_xx,    x in [0, 2*pi) periodic,

is discretised on ``nx`` equally spaced points with a conservative
finite-volume/finite-difference scheme:

* convection in flux form with the energy-conserving two-point flux
  ``F(a, b) = (a*a + a*b + b*b) / 6`` (the skew-symmetric splitting of
  u*u_x written as a flux), so the discrete mean of u is conserved exactly
  (up to round-off) and convection alone neither creates nor destroys the
  discrete energy sum(u^2)*dx;
* diffusion with the standard 3-point second difference, which strictly
  dissipates the discrete energy when nu > 0;
* time stepping with the 3-stage strong-stability-preserving Runge-Kutta
  scheme (SSP-RK3).

The time step is fixed for a run and is the smallest of a CFL limit
``CFL * dx / max|u0|`` and a diffusion limit ``FOURIER * dx^2 / nu``, then
shrunk so that an integer number of steps lands exactly on t_final.  The
continuous equation obeys a maximum principle (max|u| never grows), so the
CFL limit computed from the initial condition holds for the whole run.

Surrogate
---------
See :class:`Surrogate` and :func:`train_surrogate`: two POD (PCA) bases of
``latent_dim`` modes each (one for the initial conditions, one for the
solutions at t_final), computed from the training snapshots with one-sided
Jacobi (Hestenes) orthogonalisation; the whitened initial-condition
coefficients z plus the pairwise products of the first ``quadratic_dim`` of
them are mapped linearly (weights W, bias c) to the scaled final-time
coefficients. W and c are fitted by full-batch gradient descent (``epochs``
steps of ``learning_rate``) from a seeded random initialisation.

Config handling (:func:`load_config`), atomic JSON writing and checkpoint
loading shared by train.py and evaluate.py live at the end of this module.
"""

import math
import operator
import random

ENGINE = "burgers"
TWO_PI = 2.0 * math.pi

# Safety factors of the explicit time step (see module docstring).
CFL = 0.3
FOURIER = 0.2

# Values at or above this are treated as a diverged model.
BIG = 1e9


# ---------------------------------------------------------------------------
# small linear-algebra helpers on lists
# ---------------------------------------------------------------------------

def dot(a, b):
    """Inner product of two equal-length sequences."""
    return sum(map(operator.mul, a, b))


def norm(a):
    return math.sqrt(dot(a, a))


def is_finite_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


# ---------------------------------------------------------------------------
# solver
# ---------------------------------------------------------------------------

def grid(nx):
    """Grid points x_j = 2*pi*j/nx, j = 0..nx-1."""
    return [TWO_PI * j / nx for j in range(nx)]


def discrete_mean(u):
    return sum(u) / len(u)


def energy(u):
    """Discrete energy sum(u_j^2) * dx, an approximation of the integral of u^2."""
    return dot(u, u) * (TWO_PI / len(u))


def stable_dt(u0, nu, t_final):
    """Return (dt, n_steps) for a run from u0 to t_final (see module docstring)."""
    nx = len(u0)
    dx = TWO_PI / nx
    umax = max(abs(v) for v in u0)
    limits = [FOURIER * dx * dx / nu]
    if umax > 0.0:
        limits.append(CFL * dx / umax)
    dt = min(limits)
    n_steps = max(1, int(math.ceil(t_final / dt - 1e-12)))
    return t_final / n_steps, n_steps


def rhs(u, nu, dx):
    """Semi-discrete right-hand side -(F_{j+1/2} - F_{j-1/2})/dx + nu*D2 u."""
    up = u[1:] + u[:1]  # u_{j+1}
    # flux at j+1/2 (energy-conserving two-point flux)
    f = [(a * a + a * b + b * b) * (1.0 / 6.0) for a, b in zip(u, up)]
    fm = f[-1:] + f[:-1]  # flux at j-1/2
    um = u[-1:] + u[:-1]  # u_{j-1}
    inv_dx = 1.0 / dx
    c = nu / (dx * dx)
    return [(b - a) * inv_dx + c * (p - 2.0 * v + m)
            for a, b, p, v, m in zip(f, fm, up, u, um)]


def solve(u0, nu, t_final, callback=None):
    """Integrate Burgers from u0 (list of floats on the periodic grid) to t_final.

    ``callback(step, t, u)`` is called after every step (and once with step 0
    at t = 0) if given. Returns the solution at t_final as a new list.
    """
    if nu <= 0.0:
        raise ValueError("viscosity must be positive")
    u = [float(v) for v in u0]
    nx = len(u)
    if nx < 3:
        raise ValueError("need at least 3 grid points")
    dx = TWO_PI / nx
    dt, n_steps = stable_dt(u, nu, t_final)
    if callback is not None:
        callback(0, 0.0, u)
    for step in range(1, n_steps + 1):
        # SSP-RK3 (Shu-Osher form)
        k = rhs(u, nu, dx)
        u1 = [a + dt * b for a, b in zip(u, k)]
        k = rhs(u1, nu, dx)
        u2 = [0.75 * a + 0.25 * (b + dt * c) for a, b, c in zip(u, u1, k)]
        k = rhs(u2, nu, dx)
        u = [(1.0 / 3.0) * a + (2.0 / 3.0) * (b + dt * c) for a, b, c in zip(u, u2, k)]
        if callback is not None:
            callback(step, step * dt, u)
    return u


# ---------------------------------------------------------------------------
# random initial conditions
# ---------------------------------------------------------------------------

def random_initial_condition(rng, nx, amplitude, modes):
    """Random smooth zero-mean field drawn from a seeded ``random.Random``.

    u0(x) = amplitude / S * sum_{k=1..modes} (a_k cos kx + b_k sin kx) / k^2,
    with a_k, b_k ~ N(0, 1) and S = sqrt(sum_k 1/k^4), so the expected
    spatial RMS of u0 is ``amplitude`` and the spectrum decays like 1/k^2.
    """
    coeffs = []
    for k in range(1, modes + 1):
        coeffs.append((k, rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)))
    scale = amplitude / math.sqrt(sum(1.0 / k ** 4 for k in range(1, modes + 1)))
    u = [0.0] * nx
    for k, a, b in coeffs:
        ca = scale * a / (k * k)
        cb = scale * b / (k * k)
        u = [v + ca * math.cos(k * x) + cb * math.sin(k * x) for v, x in zip(u, grid(nx))]
    return u


def make_dataset(rng, n, nx, nu, t_final, amplitude, modes):
    """n pairs (u0, u(t_final)) from the solver."""
    inputs, outputs = [], []
    for _ in range(n):
        u0 = random_initial_condition(rng, nx, amplitude, modes)
        inputs.append(u0)
        outputs.append(solve(u0, nu, t_final))
    return inputs, outputs


def seed_stream(seed, purpose):
    """Independent deterministic random streams per purpose ('train', 'test', 'init').

    String seeds are hashed with SHA-512 by ``random.Random`` (not by the
    salted ``hash()``), so they are stable across runs and interpreters.
    """
    return random.Random("burgers-%s-%d" % (purpose, seed))


# ---------------------------------------------------------------------------
# POD
# ---------------------------------------------------------------------------

def _jacobi_orthogonalize(rows, tol=1e-12, max_sweeps=50):
    """One-sided Jacobi (Hestenes): rotate the rows in place until mutually orthogonal.

    The span and the Gram spectrum are preserved; at convergence row i equals
    sigma_i * v_i, where v_i are the right singular vectors of the matrix.
    Squared row norms are updated analytically after each rotation, so a
    pair costs one inner product when it is already orthogonal.
    """
    m = len(rows)
    sq = [dot(r, r) for r in rows]
    # inner products this small are round-off relative to the data
    floor = 1e-15 * max(sq) if sq else 0.0
    for _ in range(max_sweeps):
        rotated = False
        for p in range(m - 1):
            a = rows[p]
            for q in range(p + 1, m):
                b = rows[q]
                gamma = dot(a, b)
                alpha = sq[p]
                beta = sq[q]
                if abs(gamma) <= floor or abs(gamma) <= tol * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                t = (1.0 if zeta >= 0.0 else -1.0) / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                c = 1.0 / math.sqrt(1.0 + t * t)
                s = c * t
                a, rows[q] = [c * x - s * y for x, y in zip(a, b)], [s * x + c * y for x, y in zip(a, b)]
                sq[p] = alpha - t * gamma
                sq[q] = beta + t * gamma
            rows[p] = a
        if not rotated:
            break
        # refresh norms once per sweep to stop round-off drift
        sq = [dot(r, r) for r in rows]
    return rows


def pod(snapshots, k):
    """POD (PCA) of a list of snapshots: returns (mean, basis, variances, captured).

    ``basis`` holds k orthonormal modes (lists of length nx) ordered by
    decreasing variance; ``variances`` the snapshot variance along each mode;
    ``captured`` the fraction of total snapshot variance the k modes hold.
    If k exceeds the rank of the data the basis is completed with
    orthonormal directions of zero variance.
    """
    n = len(snapshots)
    nx = len(snapshots[0])
    mean = [sum(col) / n for col in zip(*snapshots)]
    centred = [[v - m for v, m in zip(s, mean)] for s in snapshots]
    if n <= nx:
        rows = centred
        power = 1  # row norms are sigma
    else:
        # covariance rows: same eigenvectors, row norms are sigma^2
        cols = list(zip(*centred))
        rows = [[dot(ci, cj) for cj in cols] for ci in cols]
        power = 2
    rows = _jacobi_orthogonalize([list(r) for r in rows])
    pairs = []
    for r in rows:
        nr = norm(r)
        pairs.append((nr, r))
    # stable, deterministic ordering by decreasing norm
    order = sorted(range(len(pairs)), key=lambda i: (-pairs[i][0], i))
    top = pairs[order[0]][0] if pairs else 0.0
    basis, variances = [], []
    for i in order:
        nr, r = pairs[i]
        if len(basis) == k or nr <= 1e-12 * max(top, 1e-300):
            break
        v = [x / nr for x in r]
        # re-orthogonalise against earlier modes (guards round-off)
        for b in basis:
            d = dot(v, b)
            v = [x - d * y for x, y in zip(v, b)]
        nv = norm(v)
        v = [x / nv for x in v]
        basis.append(v)
        sigma = nr if power == 1 else math.sqrt(nr)
        variances.append(sigma * sigma / n)
    # complete with zero-variance directions (Gram-Schmidt on unit vectors)
    j = 0
    while len(basis) < k and j < nx:
        v = [0.0] * nx
        v[j] = 1.0
        for _ in range(2):
            for b in basis:
                d = dot(v, b)
                v = [x - d * y for x, y in zip(v, b)]
        nv = norm(v)
        if nv > 1e-8:
            basis.append([x / nv for x in v])
            variances.append(0.0)
        j += 1
    total = sum(dot(c, c) for c in centred) / n
    captured = (sum(variances) / total) if total > 0.0 else 1.0
    return mean, basis, variances, min(1.0, captured)


def project(basis, mean, u):
    d = [a - b for a, b in zip(u, mean)]
    return [dot(phi, d) for phi in basis]


def reconstruct(basis, mean, coeffs):
    u = list(mean)
    for c, phi in zip(coeffs, basis):
        u = [a + c * b for a, b in zip(u, phi)]
    return u


# ---------------------------------------------------------------------------
# surrogate
# ---------------------------------------------------------------------------

def n_features(latent_dim, quadratic_dim):
    r = min(quadratic_dim, latent_dim)
    return latent_dim + r * (r + 1) // 2


def _quadratic(z, r):
    """Products z_i * z_j, 0 <= i <= j < r (row-major)."""
    out = []
    for i in range(r):
        zi = z[i]
        out.extend([zi * zj for zj in z[i:r]])
    return out


def _standardise_columns(rows):
    """Column means and standard deviations (std floored to 1.0 for constant columns)."""
    n = len(rows)
    if not rows or not rows[0]:
        return [], []
    cols = list(zip(*rows))
    means = [sum(c) / n for c in cols]
    stds = []
    for c, m in zip(cols, means):
        d = [x - m for x in c]
        stds.append(math.sqrt(dot(d, d) / n))
    top = max(stds) if stds else 0.0
    stds = [s if s > 1e-12 * top and s > 0.0 else 1.0 for s in stds]
    return means, stds


class Surrogate(object):
    """POD + quadratic latent map surrogate of the map u0 -> u(t_final).

    Encoding:  a = Phi_in^T (u0 - mean_in)            (latent_dim coefficients)
               z = (a - in_mean) / in_std              (whitened)
               f = [z, (q(z) - q_mean) / q_std]        q(z) = z_i z_j, i <= j < r
    Map:       y = W f + c                             (latent_dim outputs)
    Decoding:  u(t_final) ~= mean_out + Phi_out (out_scale * y)

    r = quadratic_dim (already clamped to latent_dim). With r = 0 the map is
    purely linear.
    """

    FIELDS = ("nx", "latent_dim", "quadratic_dim", "mean_in", "basis_in", "in_mean", "in_std",
              "q_mean", "q_std", "mean_out", "basis_out", "out_scale", "W", "c")

    def __init__(self, **kw):
        for f in self.FIELDS:
            setattr(self, f, kw[f])

    def features(self, u0):
        a = project(self.basis_in, self.mean_in, u0)
        z = [(x - m) / s for x, m, s in zip(a, self.in_mean, self.in_std)]
        q = _quadratic(z, self.quadratic_dim)
        return z + [(x - m) / s for x, m, s in zip(q, self.q_mean, self.q_std)]

    def latent_predict(self, f):
        return [dot(w, f) + b for w, b in zip(self.W, self.c)]

    def predict(self, u0):
        y = self.latent_predict(self.features(u0))
        return reconstruct(self.basis_out, self.mean_out, [self.out_scale * v for v in y])

    def to_dict(self):
        return dict((f, getattr(self, f)) for f in self.FIELDS)

    @classmethod
    def from_dict(cls, d):
        """Build from a dict (e.g. parsed model.json); ValueError if malformed."""
        if not isinstance(d, dict):
            raise ValueError("model is not a JSON object")
        missing = [f for f in cls.FIELDS if f not in d]
        if missing:
            raise ValueError("model is missing field(s): %s" % ", ".join(missing))
        nx, k, r = d["nx"], d["latent_dim"], d["quadratic_dim"]
        for name, v in (("nx", nx), ("latent_dim", k), ("quadratic_dim", r)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError("model field %r is not an integer" % name)
        if not (nx >= 3 and 1 <= k <= nx and 0 <= r <= k):
            raise ValueError("model has inconsistent nx/latent_dim/quadratic_dim")
        nq = r * (r + 1) // 2
        nf = k + nq

        def vec(name, n):
            v = d[name]
            if not (isinstance(v, list) and len(v) == n and all(is_finite_number(x) for x in v)):
                raise ValueError("model field %r is not a list of %d finite numbers" % (name, n))
            return [float(x) for x in v]

        def mat(name, rows, cols):
            v = d[name]
            if not (isinstance(v, list) and len(v) == rows):
                raise ValueError("model field %r is not a %dx%d matrix" % (name, rows, cols))
            out = []
            for row in v:
                if not (isinstance(row, list) and len(row) == cols
                        and all(is_finite_number(x) for x in row)):
                    raise ValueError("model field %r is not a %dx%d matrix of finite numbers"
                                     % (name, rows, cols))
                out.append([float(x) for x in row])
            return out

        if not is_finite_number(d["out_scale"]) or d["out_scale"] <= 0:
            raise ValueError("model field 'out_scale' is not a positive finite number")
        in_std = vec("in_std", k)
        q_std = vec("q_std", nq)
        if any(s <= 0.0 for s in in_std + q_std):
            raise ValueError("model fields 'in_std'/'q_std' must be positive")
        return cls(nx=nx, latent_dim=k, quadratic_dim=r,
                   mean_in=vec("mean_in", nx), basis_in=mat("basis_in", k, nx),
                   in_mean=vec("in_mean", k), in_std=in_std,
                   q_mean=vec("q_mean", nq), q_std=q_std,
                   mean_out=vec("mean_out", nx), basis_out=mat("basis_out", k, nx),
                   out_scale=float(d["out_scale"]), W=mat("W", k, nf), c=vec("c", k))


def train_surrogate(inputs, outputs, latent_dim, quadratic_dim, epochs, learning_rate, rng,
                    progress=None):
    """Fit the surrogate on pairs (u0, u(t_final)). Returns (model, info dict).

    Loss: mean over training samples of ||W f + c - y||^2, where y are the
    final-time POD coefficients divided by out_scale, out_scale^2 being the
    mean of ||coefficients||^2. So the loss is the relative squared error in
    latent space: 1.0 for a model that always predicts the mean field.

    Full-batch gradient descent, ``epochs`` steps of size ``learning_rate``,
    from W ~ N(0, (0.1/sqrt(n_features))^2), c = 0 drawn from ``rng``. The
    data enter only through the sufficient statistics F^T F / n, Y^T F / n,
    mean(F) and mean(Y), so an epoch costs O(latent_dim * n_features^2)
    whatever n_train is. ``progress(epoch, loss)`` is called after every epoch.
    If the loss becomes non-finite or exceeds BIG, training stops, the last
    finite weights are kept and info["diverged"] is True.
    """
    n = len(inputs)
    k = latent_dim
    r = min(quadratic_dim, k)
    mean_in, basis_in, _, cap_in = pod(inputs, k)
    mean_out, basis_out, _, cap_out = pod(outputs, k)
    A = [project(basis_in, mean_in, u) for u in inputs]
    B = [project(basis_out, mean_out, u) for u in outputs]
    in_mean, in_std = _standardise_columns(A)
    Z = [[(x - m) / s for x, m, s in zip(a, in_mean, in_std)] for a in A]
    Q = [_quadratic(z, r) for z in Z]
    q_mean, q_std = _standardise_columns(Q)
    F = [z + [(x - m) / s for x, m, s in zip(q, q_mean, q_std)] for z, q in zip(Z, Q)]
    ms = sum(dot(b, b) for b in B) / n
    out_scale = math.sqrt(ms) if ms > 0.0 else 1.0
    Y = [[x / out_scale for x in b] for b in B]
    nf = len(F[0])

    Ft = [list(col) for col in zip(*F)]  # nf x n
    Yt = [list(col) for col in zip(*Y)]  # k x n
    G = [[dot(a, b) / n for b in Ft] for a in Ft]  # nf x nf, symmetric
    P = [[dot(a, b) / n for b in Ft] for a in Yt]  # k x nf
    fbar = [sum(a) / n for a in Ft]
    ybar = [sum(a) / n for a in Yt]
    syy = sum(dot(y, y) for y in Y) / n

    init = 0.1 / math.sqrt(nf)
    W = [[rng.gauss(0.0, init) for _ in range(nf)] for _ in range(k)]
    c = [0.0] * k

    def state(W, c):
        Gw = [[dot(g, w) for g in G] for w in W]
        loss = syy
        for w, gw, ci, p, yb in zip(W, Gw, c, P, ybar):
            wf = dot(w, fbar)
            loss += dot(w, gw) + 2.0 * ci * wf + ci * ci - 2.0 * dot(w, p) - 2.0 * ci * yb
        return Gw, loss

    Gw, loss = state(W, c)
    diverged = False
    epochs_run = 0
    lr2 = 2.0 * learning_rate
    for epoch in range(1, epochs + 1):
        newW = []
        newc = []
        for w, gw, ci, p, yb in zip(W, Gw, c, P, ybar):
            newW.append([wj - lr2 * (gj + ci * fj - pj)
                         for wj, gj, fj, pj in zip(w, gw, fbar, p)])
            newc.append(ci - lr2 * (dot(w, fbar) + ci - yb))
        newGw, new_loss = state(newW, newc)
        if not math.isfinite(new_loss) or new_loss > BIG:
            diverged = True
            if progress is not None:
                progress(epoch, BIG)
            break
        W, c, Gw, loss = newW, newc, newGw, max(new_loss, 0.0)
        epochs_run = epoch
        if progress is not None:
            progress(epoch, loss)

    model = Surrogate(nx=len(inputs[0]), latent_dim=k, quadratic_dim=r,
                      mean_in=mean_in, basis_in=basis_in, in_mean=in_mean, in_std=in_std,
                      q_mean=q_mean, q_std=q_std, mean_out=mean_out, basis_out=basis_out,
                      out_scale=out_scale, W=W, c=c)
    # the reported loss is recomputed from the residuals (no cancellation)
    resid = [[dot(w, f) + b - y for w, b, y in zip(W, c, yv)] for f, yv in zip(F, Y)]
    train_loss = clamp_metric(sum(dot(e, e) for e in resid) / n)
    info = {
        "train_loss": train_loss,
        "diverged": diverged,
        "epochs_run": epochs_run,
        "n_features": nf,
        "quadratic_dim": r,
        "pod_captured_input": cap_in,
        "pod_captured_output": cap_out,
    }
    return model, info


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------

def clamp_metric(x):
    """Finite, non-negative metric; NaN/inf/huge -> BIG."""
    if not isinstance(x, (int, float)) or not math.isfinite(x) or x > BIG:
        return BIG
    return float(x)


def nrmse(preds, truths):
    """(global, per_case): RMSE / RMS(ground truth).

    global  = sqrt(sum of squared errors over all cases and points
                   / sum of squared truth values over all cases and points)
    per_case: the same ratio within one test case.
    """
    per_case = []
    se_tot = 0.0
    ss_tot = 0.0
    for p, t in zip(preds, truths):
        d = [a - b for a, b in zip(p, t)]
        se = dot(d, d)
        ss = dot(t, t)
        se_tot += se
        ss_tot += ss
        per_case.append(clamp_metric(math.sqrt(se / ss)) if ss > 0.0 else BIG)
    g = clamp_metric(math.sqrt(se_tot / ss_tot)) if ss_tot > 0.0 else BIG
    return g, per_case


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------

class ConfigError(ValueError):
    """A bad config: the CLIs print ``error: <message>`` and exit 2."""


# (section, key, kind, default or REQUIRED, check, requirement text)
REQUIRED = object()
CONFIG_SCHEMA = (
    (None, "seed", "int", REQUIRED, lambda v, c: v >= 0, "a non-negative integer"),
    ("data", "nx", "int", REQUIRED, lambda v, c: 8 <= v <= 1024, "an integer in [8, 1024]"),
    ("data", "viscosity", "number", REQUIRED, lambda v, c: 0 < v <= 10, "a number in (0, 10]"),
    ("data", "t_final", "number", REQUIRED, lambda v, c: 0 < v <= 100, "a number in (0, 100]"),
    ("data", "n_train", "int", REQUIRED, lambda v, c: 2 <= v <= 100000,
     "an integer in [2, 100000]"),
    ("data", "n_test", "int", REQUIRED, lambda v, c: 1 <= v <= 100000,
     "an integer in [1, 100000]"),
    ("data", "ic_amplitude", "number", 0.2, lambda v, c: 0 < v <= 100, "a number in (0, 100]"),
    ("data", "ic_modes", "int", 8, lambda v, c: 1 <= v <= c["data"]["nx"] // 2 - 1,
     "an integer in [1, data.nx/2 - 1]"),
    ("model", "latent_dim", "int", REQUIRED, lambda v, c: 1 <= v <= c["data"]["nx"],
     "an integer in [1, data.nx]"),
    ("model", "quadratic_dim", "int", 6, lambda v, c: 0 <= v <= 16, "an integer in [0, 16]"),
    ("training", "epochs", "int", REQUIRED, lambda v, c: 1 <= v <= 1000000,
     "an integer in [1, 1000000]"),
    ("training", "learning_rate", "number", REQUIRED, lambda v, c: 0 < v <= 1000,
     "a number in (0, 1000]"),
    ("evaluation", "nrmse_threshold", "number", REQUIRED, lambda v, c: 0 < v <= 1e6,
     "a number in (0, 1e6]"),
)
SECTIONS = ("data", "model", "training", "evaluation")


def _describe(v):
    if isinstance(v, str):
        return "the string %r" % v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        return "a %s" % ("list" if isinstance(v, list) else "mapping")
    return repr(v)


def validate_config(raw):
    """Check a parsed config; return (config, warnings).

    ``config`` is a new nested dict with every key of CONFIG_SCHEMA (defaults
    filled in, integral floats such as 200.0 turned into ints). Unknown keys
    are ignored with a warning. Raises ConfigError on the first problem.
    """
    if not isinstance(raw, dict):
        raise ConfigError("config must be a mapping of sections")
    warnings = []
    known = {None: set()}
    for section, key, _, _, _, _ in CONFIG_SCHEMA:
        known.setdefault(section, set()).add(key)
    cfg = {"seed": None}  # keeps the echo in file order
    for section in SECTIONS:
        value = raw.get(section)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ConfigError("config key '%s' must be a mapping (an indented block), got %s"
                              % (section, _describe(value)))
        cfg[section] = {}
        for key in value:
            if key not in known[section]:
                warnings.append("ignoring unknown config key '%s.%s'" % (section, key))
    for key in raw:
        if key not in known[None] and key not in SECTIONS:
            warnings.append("ignoring unknown config key '%s'" % key)
    for section, key, kind, default, check, text in CONFIG_SCHEMA:
        name = key if section is None else "%s.%s" % (section, key)
        src = raw if section is None else (raw.get(section) or {})
        if key not in src or src[key] is None:
            if default is REQUIRED:
                raise ConfigError("config key '%s' is missing (it must be %s)" % (name, text))
            value = default
            if not check(value, cfg):
                raise ConfigError("config key '%s' is missing and its default %r does not fit "
                                  "(it must be %s)" % (name, default, text))
        else:
            value = original = src[key]
            ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
            if ok_type and not math.isfinite(value):
                ok_type = False
            if ok_type and kind == "int":
                if isinstance(value, float):
                    if value.is_integer():
                        value = int(value)
                    else:
                        ok_type = False
            if not ok_type or not check(value, cfg):
                raise ConfigError("config key '%s' must be %s, got %s"
                                  % (name, text, _describe(original)))
            if kind == "number":
                value = float(value)
        target = cfg if section is None else cfg[section]
        target[key] = value
    return cfg, warnings


def load_config(path):
    """Read + validate a YAML config file; ConfigError for any problem."""
    import miniyaml  # sibling module; the CLIs put this folder on sys.path
    try:
        raw = miniyaml.load(path)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError("cannot read config %s: %s" % (path, getattr(e, "strerror", None) or e))
    except ValueError as e:  # miniyaml.YamlError: "PATH: line N: problem"
        raise ConfigError(str(e))
    return validate_config(raw)


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

def utc_now_iso():
    """Current UTC time as ISO 8601 with milliseconds and a Z suffix."""
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def append_metrics(path, row):
    """Append one JSON object as a line to ``path`` (exp's {metrics} file), flushed.

    Does nothing when ``path`` is None. Creates the parent folder. Values that
    are not finite are written as 1e9 (clamp_metric) so every line is strict
    JSON. A curve is for looking at: a write that fails warns on stderr and
    never stops the run.
    """
    if path is None:
        return
    import json
    import os
    import sys
    clean = dict((k, clamp_metric(v) if isinstance(v, float) else v) for k, v in row.items())
    try:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(clean, allow_nan=False) + "\n")
    except OSError as e:
        sys.stderr.write("warning: cannot append to %s: %s\n" % (path, e.strerror or e))


def write_json_atomic(path, obj):
    """Write JSON to ``path`` via a temp file in the same folder + os.replace.

    Creates the parent folder. NaN/Infinity are refused (ValueError) so the
    file is always strict JSON.
    """
    import json
    import os
    text = json.dumps(obj, indent=2, allow_nan=False) + "\n"
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, ".%s.%d.%s.tmp" % (os.path.basename(path), os.getpid(),
                                                  os.urandom(4).hex()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


CHECKPOINT_FORMAT = "exp-burgers-checkpoint"
CHECKPOINT_VERSION = 1
MODEL_FILE = "model.json"
SUMMARY_FILE = "train_summary.json"
# a JSON sidecar beside a checkpoint file: {"file", "sha256", "seed", ...}; exp verify checks it
SIDECAR_SUFFIX = ".sha256.json"


def sha256_file(path):
    """The sha256 of a file, read in 1 MiB chunks (constant memory)."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
PROBLEM_KEYS = ("nx", "viscosity", "t_final", "ic_amplitude", "ic_modes")


class CheckpointError(ValueError):
    """Missing or corrupt checkpoint: evaluate.py prints ``error:`` and exits 2."""


def load_checkpoint(directory):
    """Return (checkpoint dict, Surrogate) from CHECKPOINT_DIR/model.json."""
    import json
    import os
    path = os.path.join(directory, MODEL_FILE)
    if not os.path.isdir(directory):
        raise CheckpointError("checkpoint directory %s does not exist" % directory)
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CheckpointError("cannot read checkpoint %s: %s" % (path, e.strerror or e))
    except UnicodeDecodeError:
        raise CheckpointError("checkpoint %s is corrupt (not UTF-8 text)" % path)

    def no_constants(name):
        raise ValueError("non-finite number %s" % name)
    try:
        ckpt = json.loads(text, parse_constant=no_constants)
    except ValueError as e:
        raise CheckpointError("checkpoint %s is corrupt (invalid JSON: %s)" % (path, e))
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError("%s is not a burgers checkpoint" % path)
    if ckpt.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError("checkpoint %s has unsupported version %r"
                              % (path, ckpt.get("version")))
    problem = ckpt.get("problem")
    training = ckpt.get("training")
    if not isinstance(problem, dict) or not all(k in problem for k in PROBLEM_KEYS):
        raise CheckpointError("checkpoint %s is corrupt (bad 'problem' section)" % path)
    if not isinstance(training, dict) or not is_finite_number(training.get("train_loss")) \
            or not isinstance(training.get("diverged"), bool):
        raise CheckpointError("checkpoint %s is corrupt (bad 'training' section)" % path)
    try:
        model = Surrogate.from_dict(ckpt.get("model"))
    except ValueError as e:
        raise CheckpointError("checkpoint %s is corrupt (%s)" % (path, e))
    if model.nx != problem["nx"]:
        raise CheckpointError("checkpoint %s is corrupt (nx mismatch)" % path)
    return ckpt, model
