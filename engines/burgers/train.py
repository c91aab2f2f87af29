#!/usr/bin/env python3
"""Train the Burgers surrogate.

    python3 train.py --config CONFIG.yaml --out CHECKPOINT_DIR [--metrics METRICS.jsonl]

Generates data.n_train solver trajectories from the seeded 'train' stream,
fits the POD + quadratic-latent-map surrogate, prints progress lines
(``epoch E/N loss L``, flushed, at most ~26 lines in all) and writes
CHECKPOINT_DIR/model.json and CHECKPOINT_DIR/train_summary.json (each
atomically), then the sidecar CHECKPOINT_DIR/model.json.sha256.json (the
sha256 of model.json and the RNG seed). With --metrics, appends one JSON line per epoch
({"stage": "train", "step": E, "loss": L}) to METRICS.jsonl. Exit codes: 0 success; 2 bad arguments, config or --out path
(one ``error: ...`` line on stderr, nothing written); 1 unexpected failure
(e.g. the disk is full); 130 interrupted.
"""

import os
import sys

sys.dont_write_bytecode = True  # write nothing outside --out (no __pycache__)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import time  # noqa: E402

import burgers  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("error: %s (usage: train.py --config CONFIG.yaml --out CHECKPOINT_DIR)\n"
                         % message)
        sys.exit(2)


def fail(message, code=2):
    sys.stderr.write("error: %s\n" % message)
    sys.stderr.flush()
    return code


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv=None):
    parser = _Parser(description="Train the Burgers surrogate (exp's embedded engine).")
    parser.add_argument("--config", required=True, help="YAML config file")
    parser.add_argument("--out", required=True, help="checkpoint directory (created)")
    parser.add_argument("--metrics", help="JSON-lines file to append one line per epoch to")
    args = parser.parse_args(argv)

    try:
        cfg, warnings = burgers.load_config(args.config)
    except burgers.ConfigError as e:
        return fail(str(e))
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        return fail("--out %s exists and is not a directory" % args.out)
    for w in warnings:
        sys.stderr.write("warning: %s\n" % w)

    d, m, t = cfg["data"], cfg["model"], cfg["training"]
    seed = cfg["seed"]
    t0 = time.time()
    say("burgers: solving %d training trajectories (nx=%d, viscosity=%g, t_final=%g, seed=%d)"
        % (d["n_train"], d["nx"], d["viscosity"], d["t_final"], seed))
    inputs, outputs = burgers.make_dataset(
        burgers.seed_stream(seed, "train"), d["n_train"], d["nx"], d["viscosity"],
        d["t_final"], d["ic_amplitude"], d["ic_modes"])
    t1 = time.time()
    r = min(m["quadratic_dim"], m["latent_dim"])
    say("burgers: data ready in %.2f s; fitting latent_dim=%d, quadratic_dim=%d (%d features), "
        "%d epochs, learning_rate=%g" % (t1 - t0, m["latent_dim"], r,
                                        burgers.n_features(m["latent_dim"], r),
                                        t["epochs"], t["learning_rate"]))

    epochs = t["epochs"]
    every = max(1, -(-epochs // 20))

    def progress(epoch, loss):
        burgers.append_metrics(args.metrics, {"stage": "train", "step": epoch, "loss": loss})
        if epoch == 1 or epoch % every == 0 or epoch == epochs or loss >= burgers.BIG:
            say("epoch %d/%d loss %.3e" % (epoch, epochs, loss))

    model, info = burgers.train_surrogate(
        inputs, outputs, m["latent_dim"], m["quadratic_dim"], epochs, t["learning_rate"],
        burgers.seed_stream(seed, "init"), progress=progress)
    preds = [model.predict(u) for u in inputs]
    train_nrmse, _ = burgers.nrmse(preds, outputs)
    t2 = time.time()
    if info["diverged"]:
        say("burgers: training DIVERGED at epoch %d (learning_rate too large?); keeping the "
            "weights of epoch %d" % (info["epochs_run"] + 1, info["epochs_run"]))

    created = burgers.utc_now_iso()
    checkpoint = {
        "format": burgers.CHECKPOINT_FORMAT,
        "version": burgers.CHECKPOINT_VERSION,
        "engine": burgers.ENGINE,
        "created_at": created,
        "problem": dict((k, d[k]) for k in burgers.PROBLEM_KEYS),
        "training": {
            "seed": seed,
            "n_train": d["n_train"],
            "epochs": epochs,
            "epochs_run": info["epochs_run"],
            "learning_rate": t["learning_rate"],
            "train_loss": info["train_loss"],
            "train_nrmse": train_nrmse,
            "diverged": info["diverged"],
        },
        "model": model.to_dict(),
    }
    summary = {
        "engine": burgers.ENGINE,
        "created_at": created,
        "train_loss": info["train_loss"],
        "train_nrmse": train_nrmse,
        "diverged": info["diverged"],
        "epochs_run": info["epochs_run"],
        "n_features": info["n_features"],
        "pod_captured_input": info["pod_captured_input"],
        "pod_captured_output": info["pod_captured_output"],
        "seconds": round(t2 - t0, 4),
        "seconds_data": round(t1 - t0, 4),
        "seconds_fit": round(t2 - t1, 4),
        "config": cfg,
    }
    try:
        os.makedirs(args.out, exist_ok=True)
        burgers.write_json_atomic(os.path.join(args.out, burgers.MODEL_FILE), checkpoint)
        burgers.write_json_atomic(os.path.join(args.out, burgers.SUMMARY_FILE), summary)
        # the checksum sidecar, last: exp (and anyone) can check model.json against it; it keeps the RNG seed
        burgers.write_json_atomic(os.path.join(args.out, burgers.MODEL_FILE + burgers.SIDECAR_SUFFIX), {
            "file": burgers.MODEL_FILE,
            "sha256": burgers.sha256_file(os.path.join(args.out, burgers.MODEL_FILE)),
            "seed": seed,
            "engine": burgers.ENGINE,
            "created_at": created,
        })
    except OSError as e:
        return fail("cannot write checkpoint to %s: %s" % (args.out, e.strerror or e), 1)
    say("burgers: train_loss %.3e, train_nrmse %.4f, POD keeps %.4f%% / %.4f%% of the input / "
        "output variance, %.2f s" % (info["train_loss"], train_nrmse,
                                     100 * info["pod_captured_input"],
                                     100 * info["pod_captured_output"], t2 - t0))
    say("burgers: wrote %s" % os.path.join(args.out, burgers.MODEL_FILE))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
