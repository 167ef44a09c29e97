#!/usr/bin/env python3
"""Checks and times sluice's CUDA packages on a machine with an NVIDIA GPU.

    python3 scripts/cuda-gpu-check.py CASES_DIR [--runs 20] [--no-sanitizer] [--emulated]

CASES_DIR comes from `node dist/bench/cuda-gpu-cases.js CASES_DIR` (run where sluice is
built; the GPU machine needs only the folder): per case a CUDA package, small inputs with the
interpreter's outputs, and the shapes to time at. For each case this script

  1. builds the package with nvcc for the card (`make ARCH=native`, plus `make cubin` for the
     ptxas resource report);
  2. runs the runner on the check inputs, with host and with device pointers, and compares
     every output with the interpreter's (f32 relative L2 <= 1e-4; f16 cases, whose matmuls
     run on tensor cores (wmma), 1e-2);
  3. times the runner (`--device --repeat N`: median ms of sluice_model_run + synchronise) at
     the bench shapes and the same computation in PyTorch eager on the same card (median of
     N CUDA-event timings after warm-up; attention uses scaled_dot_product_attention), and
     compares the two results (relative L2 <= 1e-3: PyTorch may pick other algorithms);
  4. runs compute-sanitizer memcheck over the runner once (every kernel of the package),
     on the check inputs;

then prints one table. --emulated builds `make emulated` instead and skips timing, PyTorch
and the sanitizer: it checks the script itself on a machine without a GPU.
Exit status 1 when any check fails.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def rel_l2(a, b):
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    den = np.linalg.norm(b)
    num = np.linalg.norm(a - b)
    return float(num / den) if den > 0 else float(num)


def sh(args, cwd=None, timeout=1800):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stderr or r.stdout}")
    return r.stdout + r.stderr


def run_runner(binary, pkg, inputs, outdir, extra=(), wrapper=()):
    args = [*wrapper, binary, *extra, os.path.join(pkg, "weights.bin"), outdir]
    args += [f"{name}={path}" for name, path in inputs.items()]
    return sh(args)


def torch_reference(kind, arrays, runs):
    """The case in PyTorch eager on the GPU: (outputs by name, median ms)."""
    import torch
    import torch.nn.functional as F

    dev = torch.device("cuda")
    t = {k: torch.from_numpy(v).to(dev) for k, v in arrays.items()}
    if kind == "matmul":
        fn = lambda: {"c": t["a"] @ t["b"]}
    elif kind == "mlp":
        fn = lambda: {"y": F.gelu(t["x"] @ t["w1"] + t["b1"]) @ t["w2"] + t["b2"]}
    elif kind == "attention":
        fn = lambda: {"o": F.scaled_dot_product_attention(t["q"], t["k"], t["v"], is_causal=True)}
    elif kind == "softmax":
        fn = lambda: {"y": torch.softmax(t["x"], dim=-1)}
    elif kind == "layernorm":
        fn = lambda: {"y": F.layer_norm(t["x"], (t["x"].shape[-1],), t["s"], t["b"], eps=1e-5)}
    else:
        raise ValueError(kind)
    torch.backends.cuda.matmul.allow_tf32 = False  # sluice computes in f32
    torch.backends.cudnn.allow_tf32 = False
    for _ in range(3):
        out = fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        out = fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return {k: v.float().cpu().numpy() for k, v in out.items()}, float(np.median(times))


def flops(kind, shapes):
    if kind == "matmul":
        (m, k), (_, n) = shapes["a"], shapes["b"]
        return 2 * m * k * n
    if kind == "mlp":
        (b, d), (_, f) = shapes["x"], shapes["w1"]
        return 4 * b * d * f
    if kind == "attention":
        h, s, dh = shapes["q"]
        return 2 * h * s * s * dh  # causal: half of the 4·h·s²·dh of the full product
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-sanitizer", action="store_true")
    ap.add_argument("--emulated", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated case names")
    opts = ap.parse_args()

    root = os.path.abspath(opts.cases)
    cases = json.load(open(os.path.join(root, "cases.json")))
    if opts.only:
        cases = [c for c in cases if c["name"] in opts.only.split(",")]
    card = "emulated (CPU)"
    if not opts.emulated:
        card = sh(["nvidia-smi", "--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader"]).strip()
    sanitizer = None if opts.emulated or opts.no_sanitizer else shutil.which("compute-sanitizer")
    print(f"# sluice CUDA check — {time.strftime('%Y-%m-%d %H:%M %Z')} — {card} — {platform.node()}")

    rows, failed = [], set()
    for c in cases:
        pkg = os.path.join(root, c["package"])
        row = {"case": c["name"]}

        def check(ok, what):
            if not ok:
                failed.add(c["name"])
            return "ok" if ok else f"FAIL ({what})"

        try:
            if opts.emulated:
                sh(["make", "-s", "-C", pkg, "emulated"])
                binary = os.path.join(pkg, "runner-emu")
            else:
                sh(["make", "-s", "-C", pkg, "all", "ARCH=native"])
                report = sh(["make", "-C", pkg, "cubin", "ARCH=native"])
                row["spills"] = sum(int(x) for x in re.findall(r"(\d+) bytes spill stores", report))
                check(row["spills"] == 0, "spills")
                binary = os.path.join(pkg, "runner")
            check_inputs = {k: os.path.join(root, v) for k, v in c["check"]["inputs"].items()}
            worst = 0.0
            for extra in ([], ["--device"]):
                with tempfile.TemporaryDirectory() as out:
                    run_runner(binary, pkg, check_inputs, out, extra)
                    for name, path in c["check"]["expected"].items():
                        worst = max(worst, rel_l2(np.load(os.path.join(out, f"{name}.npy")), np.load(os.path.join(root, path))))
            row["check relL2"] = f"{worst:.1e}"
            half = c.get("dtype") == "f16"  # f16 cases (tensor cores) round their outputs to half
            tol = 1e-2 if half else 1e-4
            row["check"] = check(worst <= tol, f"relative L2 over {tol:g}")

            if sanitizer:
                with tempfile.TemporaryDirectory() as out:
                    log = run_runner(binary, pkg, check_inputs, out, ["--device"], [sanitizer, "--tool", "memcheck", "--error-exitcode", "3"])
                row["memcheck"] = check("ERROR SUMMARY: 0 errors" in log, "memcheck errors")

            if not opts.emulated:
                rng = np.random.default_rng(0)
                shapes = c["bench"]["inputs"]
                arrays = {k: rng.uniform(-1, 1, size=s).astype(np.float32) for k, s in shapes.items()}
                if c["torch"] in ("matmul", "mlp"):  # keep sums of products at unit scale
                    for k in ("b", "w1", "w2"):
                        if k in arrays:
                            arrays[k] /= np.sqrt(shapes[k][0])
                if half:
                    arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
                with tempfile.TemporaryDirectory() as out:
                    files = {}
                    for k, v in arrays.items():
                        files[k] = os.path.join(out, f"in_{k}.npy")
                        np.save(files[k], v)
                    timing = json.loads(run_runner(binary, pkg, files, out, ["--device", "--repeat", str(opts.runs)]).strip().splitlines()[-1])
                    ours = {name: np.load(os.path.join(out, f"{name}.npy")) for name in c["bench"]["outputs"]}
                ref, torch_ms = torch_reference(c["torch"], arrays, opts.runs)
                agree = max(rel_l2(ours[k], ref[k]) for k in ref)
                row["sluice ms"] = f"{timing['medianMs']:.3f}"
                row["torch ms"] = f"{torch_ms:.3f}"
                row["torch/sluice"] = f"{torch_ms / timing['medianMs']:.2f}"
                f = flops(c["torch"], shapes)
                row["sluice TFLOP/s"] = f"{f / timing['medianMs'] / 1e9:.2f}" if f else "-"
                row["vs torch relL2"] = f"{agree:.1e}"
                row["vs torch"] = check(agree <= (1e-2 if half else 1e-3), "differs from PyTorch")
        except Exception as e:  # one broken case must not hide the others
            row["check"] = check(False, "error")
            row["error"] = str(e).strip().splitlines()[-1][:120] if str(e).strip() else repr(e)
        rows.append(row)
        print(f"  {c['name']}: {row}", file=sys.stderr)

    columns = []
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(k)
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for r in rows:
        print("| " + " | ".join(str(r.get(k, "")) for k in columns) + " |")
    print(f"\n{len(rows) - len(failed)} of {len(rows)} cases passed every check")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
