"""The cost of program-wide analysis on a generated 50-module project (issue 15's pre-commit case).

    python bench/program.py             # 3 rounds
    python bench/program.py --rounds 5

The project (built into bench/.cache/perf/program/, deterministic): ``proj/common.py`` (activations),
40 layer modules ``proj/blocks_<k>.py`` (forward/backward pairs importing ``common``), 8 experiment
modules each importing three layer modules and training with them, and ``proj/model.py``, which
imports eight layer modules. Each row is a whole ``bplint check --no-config -q --exit-zero``
process, median wall time; a file checked "alone" is the same text copied into an empty folder,
where its imports lead nowhere, so the difference is what reading the imported modules costs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH / ".cache" / "perf" / "program"
LAYERS = 40
EXPERIMENTS = 8

COMMON = '''"""Activations shared by every layer module."""
import numpy as np


def relu(z):
    return np.maximum(0, z)


def relu_grad(z):
    return (z > 0).astype(float)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
'''

LAYER = '''"""Layer family {k}: affine + ReLU blocks, forward and backward with caches."""
import numpy as np

from proj.common import relu, relu_grad


def block{k}_forward(x, w, b):
    z = x @ w + b
    return relu(z), (x, w, z)


def block{k}_backward(dout, cache):
    x, w, z = cache
    dz = dout * relu_grad(z)
    return dz @ w.T, x.T @ dz, dz.sum(axis=0)


def block{k}_init(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), np.zeros(n_out)


def block{k}_scores(x, params):
    h, _ = block{k}_forward(x, params["w1"], params["b1"])
    return h @ params["w2"] + params["b2"]


def block{k}_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
'''

EXPERIMENT = '''"""Experiment {j}: a three-block regressor trained on its own data."""
import numpy as np

from proj.blocks_{a} import block{a}_backward, block{a}_forward, block{a}_init
from proj.blocks_{b} import block{b}_backward, block{b}_forward, block{b}_init
from proj.blocks_{c} import block{c}_backward, block{c}_forward, block{c}_init

rng = np.random.default_rng({j})
X = rng.standard_normal((64, 6))
y = np.sin(X[:, :1])
w1, b1 = block{a}_init(6, 16, rng)
w2, b2 = block{b}_init(16, 16, rng)
w3, b3 = block{c}_init(16, 1, rng)
for epoch in range(200):
    h1, c1 = block{a}_forward(X, w1, b1)
    h2, c2 = block{b}_forward(h1, w2, b2)
    out = h2 @ w3 + b3
    d_out = (out - y) / len(X)
    dw3 = h2.T @ d_out
    db3 = d_out.sum(axis=0)
    dh1, dw2, db2 = block{b}_backward(d_out @ w3.T, c2)
    _, dw1, db1 = block{a}_backward(dh1, c1)
    w3 -= 0.05 * dw3
    b3 -= 0.05 * db3
    w2 -= 0.05 * dw2
    b2 -= 0.05 * db2
    w1 -= 0.05 * dw1
    b1 -= 0.05 * db1
'''


def build() -> None:
    if (PROJECT / "proj" / "model.py").exists():
        return
    package = PROJECT / "proj"
    package.mkdir(parents=True, exist_ok=True)
    (PROJECT / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (package / "__init__.py").write_text("")
    (package / "common.py").write_text(COMMON)
    for k in range(LAYERS):
        (package / f"blocks_{k}.py").write_text(LAYER.format(k=k))
    for j in range(EXPERIMENTS):
        a, b, c = (3 * j) % LAYERS, (3 * j + 1) % LAYERS, (3 * j + 2) % LAYERS
        (package / f"experiment_{j}.py").write_text(EXPERIMENT.format(j=j, a=a, b=b, c=c))
    imports = "\n".join(f"from proj.blocks_{k} import *" for k in range(8))
    (package / "model.py").write_text(f'"""The model: eight layer families."""\n{imports}\n')


def run(args: List[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bplint", "check", "--no-config", "-q", "--exit-zero",
                    *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def median(rounds: int, args: List[str], cwd: Path, before=None) -> float:
    times = []
    for _ in range(rounds):
        if before:
            before()
        times.append(run(args, cwd))
    return statistics.median(times)


def alone(relative: str, rounds: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / Path(relative).name
        shutil.copy(PROJECT / relative, copy)
        return median(rounds, ["--no-cache", copy.name], Path(folder))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    build()
    cache = PROJECT / ".bplint_cache"
    clear = lambda: shutil.rmtree(cache, ignore_errors=True)  # noqa: E731
    leaf, hub = "proj/experiment_3.py", "proj/model.py"
    rows = [
        ("one experiment module, alone (no imports found)", alone(leaf, rounds)),
        ("the same module in the project (3 layer modules + common read)",
         median(rounds, ["--no-cache", leaf], PROJECT)),
        ("model.py alone (its imports lead nowhere)", alone(hub, rounds)),
        ("model.py in the project (8 layer modules + common read)",
         median(rounds, ["--no-cache", hub], PROJECT)),
        ("the whole project, no cache (50 modules, one program)",
         median(rounds, ["--no-cache", "."], PROJECT)),
    ]
    clear()
    run(["."], PROJECT)
    rows.append(("the whole project again, all cached", median(rounds, ["."], PROJECT)))
    layer = PROJECT / "proj" / "blocks_5.py"
    original = layer.read_text()

    def touch() -> None:
        layer.write_text(original + f"\n# edited {time.perf_counter()}\n")

    rows.append(("the whole project, cached, after one layer module changed",
                 median(rounds, ["."], PROJECT, touch)))
    rows.append(("pre-commit: only the changed layer module, no cache",
                 median(rounds, ["--no-cache", "proj/blocks_5.py"], PROJECT, touch)))
    layer.write_text(original)
    clear()
    width = max(len(name) for name, _ in rows)
    print(f"{'case':<{width}}  wall s (median of {rounds})")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
