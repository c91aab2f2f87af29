"""Tests of the Burgers engine (standard library unittest).

Run from the repository root:

    python3 -m unittest discover -s engines/burgers -p 'test_*.py'

Takes about 10 s: the end-to-end tests run train.py and evaluate.py as
subprocesses on the golden config and on a few variants of it.
"""

import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import burgers  # noqa: E402
import miniyaml  # noqa: E402

GOLDEN = os.path.normpath(os.path.join(HERE, "..", "..", "configs", "train_burgers_golden.yaml"))
TRAIN = os.path.join(HERE, "train.py")
EVALUATE = os.path.join(HERE, "evaluate.py")
REPORT_KEYS = ("engine", "created_at", "final_nrmse", "max_nrmse", "train_loss", "n_test",
               "latent_dim", "nrmse_threshold", "gates_passed")


def golden_text():
    with open(GOLDEN, "r", encoding="utf-8") as f:
        return f.read()


def with_values(text, **values):
    """Golden YAML text with leaf keys replaced (leaf key names are unique)."""
    for key, value in values.items():
        text, n = re.subn(r"(?m)^(\s*%s:)[ \t]*[^#\n]*?([ \t]*(#.*)?)$" % re.escape(key),
                          lambda m: "%s %s%s" % (m.group(1), value, m.group(2)), text)
        assert n == 1, key
    return text


def field(nx, mean=0.0, seed=1, amplitude=0.5, modes=4):
    u = burgers.random_initial_condition(random.Random(seed), nx, amplitude, modes)
    return [v + mean for v in u]


# ---------------------------------------------------------------------------
# solver
# ---------------------------------------------------------------------------

class SolverTest(unittest.TestCase):

    def run_recording(self, u0, nu, t_final):
        means, energies = [], []

        def cb(step, t, u):
            means.append(burgers.discrete_mean(u))
            energies.append(burgers.energy(u))
        u = burgers.solve(u0, nu, t_final, callback=cb)
        return u, means, energies

    def test_mean_is_conserved(self):
        u0 = field(64, mean=0.3)
        _, means, _ = self.run_recording(u0, 0.05, 2.0)
        self.assertGreater(len(means), 20)
        for m in means:
            self.assertAlmostEqual(m, means[0], delta=1e-13)
        self.assertAlmostEqual(means[0], 0.3, delta=1e-12)

    def test_energy_decays_monotonically(self):
        for nu in (0.01, 0.05, 0.5):
            _, _, energies = self.run_recording(field(64, mean=0.1, amplitude=1.0), nu, 1.0)
            for before, after in zip(energies, energies[1:]):
                self.assertLess(after, before, "energy grew at nu=%g" % nu)

    def test_energy_decays_faster_with_more_viscosity(self):
        u0 = field(64, amplitude=0.8)
        e0 = burgers.energy(u0)
        finals = [burgers.energy(burgers.solve(u0, nu, 1.0)) for nu in (0.02, 0.05, 0.1, 0.2)]
        self.assertLess(finals[0], e0)
        for weaker, stronger in zip(finals, finals[1:]):
            self.assertLess(stronger, weaker)

    def test_matches_cole_hopf_exact_solution(self):
        # u0 = A sin x: u = -2 nu phi_x / phi with phi the heat-equation solution
        # from phi0 = exp(-A (1 - cos x) / (2 nu)) (Cole-Hopf transform).
        A, nu, T = 0.5, 0.05, 0.5
        N, K = 256, 64
        xs = [2 * math.pi * j / N for j in range(N)]
        phi0 = [math.exp(-A * (1 - math.cos(x)) / (2 * nu)) for x in xs]
        ck = [sum(p * math.cos(k * x) for p, x in zip(phi0, xs)) / N * (1 if k == 0 else 2)
              for k in range(K)]
        damp = [ck[k] * math.exp(-nu * k * k * T) for k in range(K)]

        def exact(x):
            phi = sum(d * math.cos(k * x) for k, d in enumerate(damp))
            dphi = sum(-k * d * math.sin(k * x) for k, d in enumerate(damp))
            return -2 * nu * dphi / phi

        errors = []
        for nx in (32, 64, 128):
            x = burgers.grid(nx)
            u = burgers.solve([A * math.sin(v) for v in x], nu, T)
            errors.append(max(abs(a - exact(v)) for a, v in zip(u, x)))
        self.assertLess(errors[-1], 2e-4)
        # second order in space: halving dx divides the error by ~4
        self.assertGreater(errors[0] / errors[1], 3.0)
        self.assertGreater(errors[1] / errors[2], 3.0)

    def test_small_amplitude_follows_heat_equation(self):
        x = burgers.grid(64)
        eps, nu, T, k = 1e-7, 0.05, 0.5, 3
        u = burgers.solve([eps * math.sin(k * v) for v in x], nu, T)
        # the 3-point Laplacian's eigenvalue for mode k
        dx = x[1]
        lam = 4 * math.sin(k * dx / 2) ** 2 / dx ** 2
        for a, v in zip(u, x):
            self.assertAlmostEqual(a / eps, math.exp(-nu * lam * T) * math.sin(k * v), delta=1e-5)

    def test_time_step_respects_limits(self):
        u0 = field(64, amplitude=2.0)
        dt, n = burgers.stable_dt(u0, 0.05, 0.5)
        dx = 2 * math.pi / 64
        self.assertAlmostEqual(dt * n, 0.5, delta=1e-12)
        self.assertLessEqual(dt, burgers.CFL * dx / max(abs(v) for v in u0) + 1e-15)
        self.assertLessEqual(dt, burgers.FOURIER * dx * dx / 0.05 + 1e-15)

    def test_initial_conditions_are_seeded_and_zero_mean(self):
        a = burgers.random_initial_condition(burgers.seed_stream(7, "train"), 64, 0.2, 8)
        b = burgers.random_initial_condition(burgers.seed_stream(7, "train"), 64, 0.2, 8)
        c = burgers.random_initial_condition(burgers.seed_stream(7, "test"), 64, 0.2, 8)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertAlmostEqual(burgers.discrete_mean(a), 0.0, delta=1e-14)


# ---------------------------------------------------------------------------
# POD / surrogate internals
# ---------------------------------------------------------------------------

class PodTest(unittest.TestCase):

    def test_basis_is_orthonormal_and_ordered(self):
        rng = random.Random(3)
        snaps = [burgers.random_initial_condition(rng, 32, 1.0, 6) for _ in range(20)]
        mean, basis, variances, captured = burgers.pod(snaps, 10)
        for i, a in enumerate(basis):
            for j, b in enumerate(basis):
                self.assertAlmostEqual(burgers.dot(a, b), 1.0 if i == j else 0.0, delta=1e-10)
        self.assertEqual(variances, sorted(variances, reverse=True))
        self.assertGreater(captured, 0.999)  # 6 Fourier modes = 12 dims, 1/k^2 spectrum

    def test_basis_completed_beyond_rank(self):
        snaps = [[float(i == j) for j in range(8)] for i in range(3)]
        _, basis, variances, _ = burgers.pod(snaps, 8)
        self.assertEqual(len(basis), 8)
        self.assertEqual(variances[-1], 0.0)
        for i, a in enumerate(basis):
            for j, b in enumerate(basis):
                self.assertAlmostEqual(burgers.dot(a, b), 1.0 if i == j else 0.0, delta=1e-10)


# ---------------------------------------------------------------------------
# miniyaml and config validation
# ---------------------------------------------------------------------------

class MiniYamlTest(unittest.TestCase):

    def test_parses_golden_config(self):
        raw = miniyaml.load(GOLDEN)
        self.assertEqual(set(raw), {"seed", "data", "model", "training", "evaluation"})
        self.assertEqual(raw["seed"], 0)
        self.assertIsInstance(raw["model"]["latent_dim"], int)
        self.assertIsInstance(raw["training"]["epochs"], int)
        self.assertIsInstance(raw["training"]["learning_rate"], float)
        self.assertIsInstance(raw["evaluation"]["nrmse_threshold"], float)
        cfg, warnings = burgers.validate_config(raw)
        self.assertEqual(warnings, [])
        self.assertEqual(cfg["evaluation"]["nrmse_threshold"], 0.1)

    def test_scalars_lists_comments(self):
        text = ("# top comment\n\n"
                "a:\n"
                "  i: -12   # trailing comment\n"
                "  f: 1e-3\n"
                "  g: .5\n"
                "  t: true\n"
                "  n: null\n"
                "  e:\n"
                "  s: plain words\n"
                "  q: \"quoted # not a comment\"\n"
                "  sq: 'it''s'\n"
                "  l: [1, 2.5, x, \"a, b\", [], [3]]\n"
                "b: ~\n")
        self.assertEqual(miniyaml.loads(text), {
            "a": {"i": -12, "f": 0.001, "g": 0.5, "t": True, "n": None, "e": None,
                  "s": "plain words", "q": "quoted # not a comment", "sq": "it's",
                  "l": [1, 2.5, "x", "a, b", [], [3]]},
            "b": None})

    def test_block_sequences_flow_mappings_and_block_scalars(self):
        text = ("model:\n  extra:\n    - 1\n    - 2\n  pairs:\n  - a: 1\n    b: [x, 'y z']\n  - - 3\n    - 4\n"
                "  map: {k: v, n: [1, {m: null}]}\n  empty: []\n  none: {}\n"
                "  note: |-\n    two\n    lines\n  folded: >\n    one\n    line\n"
                "  long: a plain value\n    folded over lines\n")
        self.assertEqual(miniyaml.loads(text), {"model": {
            "extra": [1, 2], "pairs": [{"a": 1, "b": ["x", "y z"]}, [3, 4]],
            "map": {"k": "v", "n": [1, {"m": None}]}, "empty": [], "none": {},
            "note": "two\nlines", "folded": "one line\n", "long": "a plain value folded over lines"}})

    def test_rejects_malformed_lines_with_line_number(self):
        cases = [
            ("seed: 0\ndata:\n  nt: 1\n  nx 64\n", 4),   # missing ':'
            ("data:\n  nx: 64\n   bad: 1\n", 3),          # inconsistent indentation
            ("data:\n  list:\n    - 1\n   - 2\n", 4),      # sequence item out of line
            ("a: [1, 2\n", 1),                            # unterminated list
            ("a: {b: 1\n", 1),                            # unterminated flow mapping
            ("a: &x 1\n", 1),                             # anchor
            ("a: !tag 1\n", 1),                           # tag
            ("a: 1\na: 2\n", 2),                          # duplicate key
            ("a:\n\tb: 1\n", 2),                          # tab indentation
            ("a: b: c\n", 1),                             # nested mapping on one line
        ]
        for text, line in cases:
            with self.assertRaises(ValueError) as ctx:
                miniyaml.loads(text)
            self.assertIsInstance(ctx.exception, miniyaml.YamlError)
            self.assertEqual(ctx.exception.lineno, line, text)
            self.assertIn("line %d" % line, str(ctx.exception))

    def test_config_validation(self):
        raw = miniyaml.loads(golden_text())
        bad = [
            ("model", "latent_dim", 0), ("model", "latent_dim", 65), ("training", "epochs", 0),
            ("training", "epochs", "many"), ("training", "epochs", 2.5),
            ("training", "learning_rate", -0.1), ("data", "viscosity", 0.0),
            ("evaluation", "nrmse_threshold", float("nan")), ("model", "latent_dim", True),
        ]
        for section, key, value in bad:
            r = json.loads(json.dumps(raw))
            r[section][key] = value
            with self.assertRaises(burgers.ConfigError, msg="%s.%s=%r" % (section, key, value)):
                burgers.validate_config(r)
        r = json.loads(json.dumps(raw))
        del r["training"]["epochs"]
        with self.assertRaisesRegex(burgers.ConfigError, "training.epochs"):
            burgers.validate_config(r)
        r = json.loads(json.dumps(raw))
        r["training"]["epochs"] = 300.0  # integral floats are accepted as ints
        r["model"]["typo_key"] = 1
        cfg, warnings = burgers.validate_config(r)
        self.assertEqual(cfg["training"]["epochs"], 300)
        self.assertIsInstance(cfg["training"]["epochs"], int)
        self.assertEqual(len(warnings), 1)


# ---------------------------------------------------------------------------
# CLIs end to end
# ---------------------------------------------------------------------------

class CliTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="burgers-test-")
        cls.runs = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def pipeline(cls, name, **values):
        """train + evaluate a variant of the golden config; cached by name."""
        if name in cls.runs:
            return cls.runs[name]
        d = os.path.join(cls.tmp, name)
        os.makedirs(d)
        with open(os.path.join(d, "config.yaml"), "w", encoding="utf-8") as f:
            f.write(with_values(golden_text(), **values))
        # relative paths from an unrelated working directory
        train = subprocess.run([sys.executable, TRAIN, "--config", "config.yaml", "--out", "ck"],
                               cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, timeout=120)
        assert train.returncode == 0, train.stderr
        ev = subprocess.run([sys.executable, EVALUATE, "--config", "config.yaml", "--checkpoint",
                             "ck", "--report", os.path.join("reports", "report.json")],
                            cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120)
        assert ev.returncode == 0, ev.stderr
        with open(os.path.join(d, "reports", "report.json"), "r", encoding="utf-8") as f:
            report = json.load(f)
        cls.runs[name] = (d, train, ev, report)
        return cls.runs[name]

    def assert_valid_report(self, report):
        for key in REPORT_KEYS:
            self.assertIn(key, report)
        self.assertEqual(report["engine"], "burgers")
        self.assertRegex(report["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        for key in ("final_nrmse", "max_nrmse", "train_loss", "nrmse_threshold"):
            self.assertIsInstance(report[key], float, key)
            self.assertTrue(math.isfinite(report[key]), key)
        for key in ("n_test", "latent_dim"):
            self.assertIsInstance(report[key], int, key)
        self.assertIsInstance(report["gates_passed"], bool)
        self.assertGreaterEqual(report["max_nrmse"], report["final_nrmse"] * 0.999)
        self.assertEqual(report["gates_passed"],
                         report["final_nrmse"] <= report["nrmse_threshold"]
                         and not report.get("diverged", False))

    @staticmethod
    def numbers(report):
        return dict((k, v) for k, v in report.items() if k != "created_at")

    def test_golden_end_to_end(self):
        d, train, ev, report = self.pipeline("golden")
        self.assert_valid_report(report)
        self.assertTrue(report["gates_passed"])
        self.assertLess(report["final_nrmse"], 0.07)
        self.assertEqual(report["n_test"], 32)
        self.assertEqual(report["latent_dim"], 8)
        self.assertEqual(report["nrmse_threshold"], 0.1)
        # progress lines, flushed, not too many
        lines = train.stdout.splitlines()
        self.assertLessEqual(len(lines), 30)
        self.assertTrue(any(re.match(r"^epoch 200/200 loss \d\.\d{3}e[-+]\d\d$", ln)
                            for ln in lines))
        self.assertEqual(len(ev.stdout.splitlines()), 1)
        # exactly the expected files, no temp files left behind
        self.assertEqual(sorted(os.listdir(os.path.join(d, "ck"))),
                         ["model.json", "model.json.sha256.json", "train_summary.json"])
        with open(os.path.join(d, "ck", "model.json.sha256.json"), encoding="utf-8") as f:
            sidecar = json.load(f)
        self.assertEqual(sidecar["sha256"], burgers.sha256_file(os.path.join(d, "ck", "model.json")))
        self.assertIsInstance(sidecar["seed"], int)
        self.assertEqual(os.listdir(os.path.join(d, "reports")), ["report.json"])
        with open(os.path.join(d, "ck", "train_summary.json"), "r", encoding="utf-8") as f:
            summary = json.load(f)
        self.assertEqual(summary["train_loss"], report["train_loss"])
        self.assertEqual(summary["config"]["model"]["latent_dim"], 8)

    def test_deterministic_for_a_seed(self):
        a = self.pipeline("golden")[3]
        b = self.pipeline("golden_again")[3]
        c = self.pipeline("seed1", seed=1)[3]
        self.assertEqual(self.numbers(a), self.numbers(b))  # bit-identical floats
        self.assertNotEqual(a["final_nrmse"], c["final_nrmse"])
        self.assertNotEqual(a["train_loss"], c["train_loss"])

    def test_poor_configs_fail_the_gate(self):
        golden = self.pipeline("golden")[3]["final_nrmse"]
        for name, values in (("latent2", {"latent_dim": 2}), ("epochs1", {"epochs": 1})):
            report = self.pipeline(name, **values)[3]
            self.assert_valid_report(report)
            self.assertFalse(report["gates_passed"], name)
            self.assertEqual(report["latent_dim"], values.get("latent_dim", 8), name)
            self.assertGreater(report["final_nrmse"], 0.15, name)
            self.assertGreater(report["final_nrmse"], 2 * golden, name)

    def test_metrics_lines_for_train_and_evaluate(self):
        d = os.path.join(self.tmp, "metrics")
        os.makedirs(d)
        with open(os.path.join(d, "config.yaml"), "w", encoding="utf-8") as f:
            f.write(with_values(golden_text(), epochs=7))
        metrics = os.path.join("runs", "r1", "metrics.jsonl")  # the folder is created
        for argv in ([TRAIN, "--config", "config.yaml", "--out", "ck", "--metrics", metrics],
                     [EVALUATE, "--config", "config.yaml", "--checkpoint", "ck", "--report",
                      "report.json", "--metrics", metrics]):
            done = subprocess.run([sys.executable] + argv, cwd=d, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
            self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(d, metrics), "r", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        with open(os.path.join(d, "report.json"), "r", encoding="utf-8") as f:
            report = json.load(f)
        train = [r for r in rows if r["stage"] == "train"]
        self.assertEqual([r["step"] for r in train], list(range(1, 8)))
        self.assertTrue(all(isinstance(r["loss"], float) and r["loss"] > 0 for r in train))
        self.assertEqual(rows[-1], {"stage": "evaluate", "step": 7, "final_nrmse": report["final_nrmse"],
                                    "max_nrmse": report["max_nrmse"]})
        self.assertEqual(len(rows), 8)

    def test_one_epoch_prints_one_epoch_line(self):
        train = self.pipeline("epochs1", epochs=1)[1]
        self.assertEqual([ln for ln in train.stdout.splitlines() if ln.startswith("epoch")],
                         [ln for ln in train.stdout.splitlines() if ln.startswith("epoch 1/1 ")])

    def test_more_latent_dims_improve(self):
        golden = self.pipeline("golden")[3]
        better = self.pipeline("latent12", latent_dim=12)[3]
        self.assertTrue(better["gates_passed"])
        self.assertEqual(better["latent_dim"], 12)
        self.assertLess(better["final_nrmse"], 0.85 * golden["final_nrmse"])

    def test_divergent_training_reports_finite_numbers(self):
        d, train, ev, report = self.pipeline("diverge", learning_rate=5)
        self.assert_valid_report(report)
        self.assertTrue(report["diverged"])
        self.assertFalse(report["gates_passed"])
        self.assertIn("DIVERGED", train.stdout)

    def run_cli(self, args, cwd):
        return subprocess.run([sys.executable] + args, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60)

    def test_train_rejects_bad_configs_and_writes_nothing(self):
        d = os.path.join(self.tmp, "bad")
        os.makedirs(d)
        bad = {
            "latent0": with_values(golden_text(), latent_dim=0),
            "latent_too_big": with_values(golden_text(), latent_dim=65),
            "epochs0": with_values(golden_text(), epochs=0),
            "lr_text": with_values(golden_text(), learning_rate="fast"),
            "malformed": golden_text().replace("  nx: 64", "  nx 64"),
            "missing": golden_text().replace("  epochs: 200", "  # no epochs"),
        }
        for name, text in bad.items():
            path = os.path.join(d, name + ".yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            out = os.path.join(d, "out-" + name)
            res = self.run_cli([TRAIN, "--config", path, "--out", out], cwd=d)
            self.assertEqual(res.returncode, 2, name)
            self.assertEqual(res.stdout, "", name)
            err = res.stderr.strip().splitlines()
            self.assertEqual(len(err), 1, name)
            self.assertTrue(err[0].startswith("error:"), err[0])
            self.assertFalse(os.path.exists(out), name)
        res = self.run_cli([TRAIN, "--config", os.path.join(d, "absent.yaml"), "--out", "x"], d)
        self.assertEqual(res.returncode, 2)
        self.assertTrue(res.stderr.startswith("error:"))
        res = self.run_cli([TRAIN, "--config", GOLDEN], d)  # --out missing
        self.assertEqual(res.returncode, 2)
        self.assertTrue(res.stderr.startswith("error:"))
        self.assertEqual(sorted(os.listdir(d)), sorted(n + ".yaml" for n in bad))

    def test_evaluate_rejects_missing_or_corrupt_checkpoint(self):
        d = os.path.join(self.tmp, "badckpt")
        os.makedirs(os.path.join(d, "ck"))
        report = os.path.join(d, "out", "report.json")
        res = self.run_cli([EVALUATE, "--config", GOLDEN, "--checkpoint", "nope",
                            "--report", report], d)
        self.assertEqual(res.returncode, 2)
        self.assertTrue(res.stderr.startswith("error:"))
        for text in ("", "{not json", json.dumps({"format": "something-else"}),
                     json.dumps({"format": burgers.CHECKPOINT_FORMAT, "version": 1})):
            with open(os.path.join(d, "ck", "model.json"), "w", encoding="utf-8") as f:
                f.write(text)
            res = self.run_cli([EVALUATE, "--config", GOLDEN, "--checkpoint", "ck",
                                "--report", report], d)
            self.assertEqual(res.returncode, 2, text)
            self.assertEqual(len(res.stderr.strip().splitlines()), 1)
            self.assertTrue(res.stderr.startswith("error:"), res.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "out")))


if __name__ == "__main__":
    unittest.main()
