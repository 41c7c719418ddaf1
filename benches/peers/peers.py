#!/usr/bin/env python3
"""Times the peers of `jacobian-oracle speed` on exactly the problems the Rust side times.

    python benches/peers/peers.py PROBLEMS.json [--budget-ms 400] [--sizes 64,256]
        [--threads N] > peers.json

`benches/peers/run.sh` runs it between the two Rust steps; `speed --peers peers.json` reads
its output.

The problems
------------
PROBLEMS.json is written by `jacobian-oracle speed --problem-out PROBLEMS.json`: for each n
(16, 64, 256, 1024), `jacobian_oracle::speed::problem(n)`, i.e. W (n×n, row-major) and x in
float64, each number in the shortest decimal form that reads back to the same double (Python's
`json` reads it with a correctly rounded `float`). The script recomputes each problem's
fingerprint from the floats it read (`fingerprint` below, the same as
`jacobian_oracle::speed::fingerprint`), refuses a problem whose bits differ, and prints the
fingerprints; `speed --peers` refuses times of any other problem.

What is timed
-------------
One call is one whole check of the Jacobian of f(x) = σ(Wx) with respect to x at that (W, x),
in float64 on the CPU, its analytic side being the tool's own autodiff of f (numdifftools has
none: there it is the hand-written J = diag(z(1 − z)) W, like the Rust side's analytic
Jacobian). The Rust side times `Oracle::check` (full) and `Oracle::check_projected(k = 4)`
on the same (W, x); the rival of each peer is given in brackets.

* "PyTorch gradcheck" [full]: `torch.autograd.gradcheck(f, (x,))` with the defaults (every
  entry: central differences with eps = 1e-6 against reverse-mode autograd, one backward pass
  per output), f = `lambda x: torch.sigmoid(W @ x)`, W and x float64 CPU tensors, x with
  requires_grad.
* "PyTorch fast_mode" [projected k4]: the same with `fast_mode=True` (one random projection).
* "JAX check_grads" [projected k4]: `jax.test_util.check_grads(jf, (x,), order=1,
  modes=("fwd", "rev"))`, jf = `jax.jit(lambda x: jax.nn.sigmoid(W @ x))` with
  `jax_enable_x64` (one random JVP and one random VJP against finite differences).
* "numdifftools" [full]: `numdifftools.Jacobian(f)(x)` (adaptive Richardson differences) with
  f = `lambda x: 1 / (1 + np.exp(-(W @ x)))`, then the analytic J and
  `np.allclose(J_fd, J, rtol=1e-5, atol=1e-8)`.

The full-check rivals are timed at n <= 256 (the Rust side has full checks there), the
projection rivals at every n of the file. Each check must pass once before it is timed. The
timing is `jacobian_oracle::speed::median_seconds`: two warm-up calls (the second one timed as
`once`; JAX compiles in the first), then batches of ceil(0.01 s / once) calls (at least one),
as many as fit in the budget (5 to 200), and the median of the batches' time per call.

Threads: PyTorch gets `torch.set_num_threads(N)`, N = --threads, by default every core this
process may use (2 on the 2-core machines); JAX (XLA) and numpy's BLAS keep their defaults,
which use every core. The Rust side runs on one thread. So each peer has at least the cores
ours has.

PyTorch is optional: when `torch` cannot be imported its two checks are listed under
"not_measured" with the reason. JAX and numdifftools are required.

Output (stdout, one JSON object; progress goes to stderr):

    {"schema": "jacobian-oracle-peers/1", "date": "...", "machine": {"cpu": ..., "cores": ...},
     "threads": "...", "versions": {"python": ..., "numpy": ..., ...},
     "not_measured": {"PyTorch gradcheck": "...", ...}, "budget_ms": ...,
     "fingerprints": {"16": "...", ...},
     "results": [{"tool": ..., "rival_of": ..., "n": ..., "seconds": ..., "calls": ...}, ...]}
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time

import numpy as np

SCHEMA = "jacobian-oracle-peers/1"
PROBLEMS_SCHEMA = "jacobian-oracle-problems/1"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def fingerprint(w, x):
    """jacobian_oracle::speed::fingerprint: each value's IEEE bits (W row-major, then x),
    offset by its position times 0x9E3779B97F4A7C15, through SplitMix64's finaliser, summed
    modulo 2**64; 16 hexadecimal digits."""
    bits = np.concatenate([np.ravel(w), np.ravel(x)]).astype("<f8").view("<u8")
    i = np.arange(bits.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = bits + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        h = int(np.sum(z, dtype=np.uint64))
    return f"{h:016x}"


def median_seconds(run, budget_s):
    """jacobian_oracle::speed::median_seconds: (median seconds per call, calls made)."""
    run()
    start = time.perf_counter()
    run()
    once = max(time.perf_counter() - start, 1e-7)
    per_batch = max(math.ceil(0.01 / once), 1)
    batches = min(max(int(budget_s / (once * per_batch)), 5), 200)
    times = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(per_batch):
            run()
        times.append((time.perf_counter() - t) / per_batch)
    times.sort()
    return times[len(times) // 2], 2 + batches * per_batch


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_problems(path, sizes):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("schema") != PROBLEMS_SCHEMA:
        sys.exit(f"peers.py: {path}: schema {doc.get('schema')!r}, expected {PROBLEMS_SCHEMA!r} "
                 "(write it with `jacobian-oracle speed --problem-out FILE`)")
    problems = []
    for p in doc["problems"]:
        n = int(p["n"])
        if sizes and n not in sizes:
            continue
        w = np.array(p["w"], dtype=np.float64).reshape(n, n)
        x = np.array(p["x"], dtype=np.float64)
        if x.shape != (n,):
            sys.exit(f"peers.py: {path}: x of n = {n} has {x.size} entries")
        got = fingerprint(w, x)
        if got != p["fingerprint"]:
            sys.exit(f"peers.py: {path}: n = {n} read back with fingerprint {got}, the file says "
                     f"{p['fingerprint']}: the floats did not round-trip")
        problems.append((n, w, x, got))
    if not problems:
        sys.exit(f"peers.py: {path}: no problem of the sizes asked for")
    return problems


def jax_checks(w_np, x_np):
    """[(tool, rival_of, call)] for JAX."""
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    w = jnp.asarray(w_np)
    x = jnp.asarray(x_np)
    assert w.dtype == jnp.float64 and x.dtype == jnp.float64
    jf = jax.jit(lambda x: jax.nn.sigmoid(w @ x))

    def check():
        check_grads(jf, (x,), order=1, modes=("fwd", "rev"))

    return [("JAX check_grads", "projected k4", check)]


def numdifftools_checks(w, x):
    import numdifftools as nd

    def f(x):
        return 1.0 / (1.0 + np.exp(-(w @ x)))

    def check():
        j_fd = nd.Jacobian(f)(x)
        z = f(x)
        j = (z * (1.0 - z))[:, None] * w
        if not np.allclose(j_fd, j, rtol=1e-5, atol=1e-8):
            raise AssertionError("numdifftools: the Jacobians differ")

    return [("numdifftools", "full", check)]


def torch_checks(w_np, x_np):
    import torch

    w = torch.tensor(w_np, dtype=torch.float64)
    x = torch.tensor(x_np, dtype=torch.float64, requires_grad=True)

    def f(x):
        return torch.sigmoid(w @ x)

    def full():
        if not torch.autograd.gradcheck(f, (x,)):
            raise AssertionError("gradcheck failed")

    def fast():
        if not torch.autograd.gradcheck(f, (x,), fast_mode=True):
            raise AssertionError("gradcheck(fast_mode=True) failed")

    return [("PyTorch gradcheck", "full", full), ("PyTorch fast_mode", "projected k4", fast)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("problems", help="the file `jacobian-oracle speed --problem-out` wrote")
    parser.add_argument("--budget-ms", type=int, default=400,
                        help="milliseconds spent on each median (default 400, as `speed`)")
    parser.add_argument("--sizes", default="",
                        help="comma-separated sizes to time (default: every size of the file)")
    parser.add_argument("--threads", type=int, default=cores(),
                        help="torch.set_num_threads (default: the cores this process may use)")
    parser.add_argument("--no-torch", action="store_true",
                        help="do not time PyTorch even if it is installed")
    args = parser.parse_args()
    sizes = {int(s) for s in args.sizes.split(",") if s.strip()}
    budget_s = args.budget_ms / 1e3

    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import numdifftools
    import scipy

    jax.config.update("jax_enable_x64", True)
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "jax": jax.__version__,
        "jaxlib": __import__("jaxlib").__version__,
        "numdifftools": numdifftools.__version__,
    }
    not_measured = {}
    have_torch = False
    if args.no_torch:
        reason = "not asked for (--no-torch)"
    else:
        try:
            import torch

            torch.set_num_threads(args.threads)
            versions["torch"] = torch.__version__
            have_torch = True
        except ImportError as e:
            reason = f"torch not importable: {e}"
    if not have_torch:
        not_measured = {"PyTorch gradcheck": reason, "PyTorch fast_mode": reason}
    threads = (f"PyTorch: torch.set_num_threads({args.threads}); " if have_torch else "") + \
        f"JAX (XLA) and numpy: their defaults (all {cores()} cores); jacobian-oracle: 1 thread"

    problems = load_problems(args.problems, sizes)
    results = []
    for n, w, x, _ in problems:
        checks = jax_checks(w, x) + numdifftools_checks(w, x)
        if have_torch:
            checks += torch_checks(w, x)
        for tool, rival_of, check in checks:
            if rival_of == "full" and n > 256:
                continue
            check()  # must pass (raises otherwise); also the first warm-up
            seconds, calls = median_seconds(check, budget_s)
            log(f"n = {n:5}  {tool:<20} {seconds * 1e3:12.4f} ms per check ({calls} calls)")
            results.append({"tool": tool, "rival_of": rival_of, "n": n,
                            "seconds": seconds, "calls": calls})

    doc = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpu": cpu_model(), "cores": cores(), "platform": platform.platform()},
        "threads": threads,
        "versions": versions,
        "not_measured": not_measured,
        "budget_ms": args.budget_ms,
        "fingerprints": {str(n): h for n, _, _, h in problems},
        "results": results,
    }
    json.dump(doc, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
