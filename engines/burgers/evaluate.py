#!/usr/bin/env python3
"""Evaluate a trained Burgers surrogate on held-out initial conditions.

    python3 evaluate.py --config CONFIG.yaml --checkpoint CHECKPOINT_DIR --report REPORT.json
        [--metrics METRICS.jsonl]

Draws data.n_test initial conditions from the seeded 'test' stream (never
used by training), solves them with the solver for ground truth, predicts
them with the surrogate and writes REPORT.json atomically (temp file in the
same folder + os.replace; the folder is created). Prints one summary line.
With --metrics, appends one JSON line ({"stage": "evaluate", "step": the
checkpoint's last epoch, "final_nrmse": ..., "max_nrmse": ...}).

NRMSE = RMSE / RMS(ground truth): final_nrmse pools every grid point of
every test case; max_nrmse is the worst single case (its own RMSE over its
own RMS). Non-finite or huge values are reported as 1e9.

Exit codes: 0 report written (whether or not the gate passed); 2 bad
arguments, config or checkpoint (one ``error: ...`` line on stderr, nothing
written); 1 unexpected failure (e.g. cannot write the report); 130 interrupted.
"""

import os
import sys

sys.dont_write_bytecode = True  # write nothing outside --report (no __pycache__)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import math  # noqa: E402

import burgers  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("error: %s (usage: evaluate.py --config CONFIG.yaml --checkpoint "
                         "CHECKPOINT_DIR --report REPORT.json)\n" % message)
        sys.exit(2)


def fail(message, code=2):
    sys.stderr.write("error: %s\n" % message)
    sys.stderr.flush()
    return code


def main(argv=None):
    parser = _Parser(description="Evaluate the Burgers surrogate (exp's embedded engine).")
    parser.add_argument("--config", required=True, help="YAML config file")
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory from train.py")
    parser.add_argument("--report", required=True, help="report JSON file to write")
    parser.add_argument("--metrics", help="JSON-lines file to append the evaluation's line to")
    args = parser.parse_args(argv)

    try:
        cfg, warnings = burgers.load_config(args.config)
    except burgers.ConfigError as e:
        return fail(str(e))
    try:
        ckpt, model = burgers.load_checkpoint(args.checkpoint)
    except burgers.CheckpointError as e:
        return fail(str(e))
    if os.path.isdir(args.report):
        return fail("--report %s is a directory" % args.report)

    d = cfg["data"]
    problem = ckpt["problem"]
    if d["nx"] != model.nx:
        return fail("checkpoint %s was trained with data.nx=%d but the config has data.nx=%d"
                    % (args.checkpoint, model.nx, d["nx"]))
    for key in burgers.PROBLEM_KEYS:
        if key != "nx" and problem.get(key) != d[key]:
            warnings.append("checkpoint was trained with data.%s=%r; evaluating on the config's %r"
                            % (key, problem.get(key), d[key]))
    if cfg["model"]["latent_dim"] != model.latent_dim:
        warnings.append("config has model.latent_dim=%d but the checkpoint's model has %d; "
                        "reporting the checkpoint's" % (cfg["model"]["latent_dim"], model.latent_dim))
    for w in warnings:
        sys.stderr.write("warning: %s\n" % w)

    seed = cfg["seed"]
    inputs, truths = burgers.make_dataset(
        burgers.seed_stream(seed, "test"), d["n_test"], d["nx"], d["viscosity"], d["t_final"],
        d["ic_amplitude"], d["ic_modes"])
    preds = [model.predict(u) for u in inputs]
    final_nrmse, per_case = burgers.nrmse(preds, truths)
    max_nrmse = max(per_case)
    threshold = cfg["evaluation"]["nrmse_threshold"]
    diverged = bool(ckpt["training"]["diverged"])
    gates_passed = (math.isfinite(final_nrmse) and final_nrmse < burgers.BIG
                    and final_nrmse <= threshold and not diverged)
    report = {
        "engine": burgers.ENGINE,
        "created_at": burgers.utc_now_iso(),
        "final_nrmse": final_nrmse,
        "max_nrmse": max_nrmse,
        "train_loss": burgers.clamp_metric(ckpt["training"]["train_loss"]),
        "n_test": d["n_test"],
        "latent_dim": model.latent_dim,
        "nrmse_threshold": threshold,
        "gates_passed": gates_passed,
        "seed": seed,
        "diverged": diverged,
        "nrmse_per_case": per_case,
        "checkpoint": args.checkpoint,
    }
    try:
        burgers.write_json_atomic(args.report, report)
    except OSError as e:
        return fail("cannot write report %s: %s" % (args.report, e.strerror or e), 1)
    burgers.append_metrics(args.metrics, {"stage": "evaluate", "step": ckpt["training"]["epochs_run"],
                                          "final_nrmse": final_nrmse, "max_nrmse": max_nrmse})
    sys.stdout.write("burgers: final_nrmse %.4f (max %.4f over %d held-out cases), threshold %g: "
                     "%s; report %s\n" % (final_nrmse, max_nrmse, d["n_test"], threshold,
                                          "PASS" if gates_passed else "FAIL", args.report))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
