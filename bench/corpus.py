"""The real-code corpus: the precision half of bplint's quality benchmark.

The seeded-bug fixtures measure recall: does bplint find bugs we planted. This corpus
measures precision: what does bplint say about real from-scratch NumPy neural-network code
that we did not write: hand-written forward and backward passes and manual weight updates
(`W -= lr * dW`), published on PyPI. Each finding on it is either a real bug or a false
positive, and a human triages which.

Every package is pinned to one exact archive (the files.pythonhosted.org URL and its
sha256), so the corpus is the same on every machine:

    python bench/corpus.py --fetch   # download, verify, extract the .py files (idempotent)
    python bench/corpus.py --list    # every corpus file, sorted; a summary line on stderr
    python bench/corpus.py --run     # bplint over the installed stdlib, numpy, libcst and click
    python bench/corpus.py --run FOLDER...   # ... or over these folders

`--run` is the robustness half: code that is not network code, where every finding is almost
surely a false alarm and any exception is a crash. It prints files checked, crashes (must be 0),
parse errors (reported, not crashes) and every finding.

Other benchmark code imports `real_corpus_files()` and `corpus_packages()`.

What is kept of each archive: only `*.py` files, extracted into
`bench/.cache/real/<name>-<version>/` (git-ignored) with the sdist's top folder removed.
Left out, because they are not the library's network code and mostly exercise it
(finite-difference gradient checks, asserts on shapes) rather than implement it:

- test code: any folder named `tests`, `test` or `testing`; `test_*.py`, `*_test.py`,
  `conftest.py`;
- packaging and Sphinx settings: `setup.py`, and `conf.py` inside `doc/` or `docs/`.

Examples and tutorials are kept: in these packages they are small training scripts that
build, train and update networks, i.e. more of the code bplint is meant for. Where a package
is mostly something else (mlxtend, PyBrain), `keep` narrows it to the folders that hold the
network code.

Python 2 is left in: PyBrain 0.3 and a few files elsewhere (aiinpy's neat.py) do not parse
with Python 3; bplint must skip them gracefully, and that is part of what the corpus tests.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import NamedTuple

CACHE = Path(__file__).resolve().parent / ".cache" / "real"
DONE = ".complete"  # written last into a package folder: extraction finished
PYPI = "https://files.pythonhosted.org/packages/"
TEST_DIRS = {"tests", "test", "testing"}
DOC_DIRS = {"doc", "docs"}


class Package(NamedTuple):
    name: str
    version: str
    url: str
    sha256: str
    why: str  # which modules hold the forward/backward passes and manual updates
    keep: tuple[str, ...] = ()  # if set, only files under these archive folders

    @property
    def dirname(self) -> str:
        return f"{self.name}-{self.version}"


PACKAGES: tuple[Package, ...] = (
    Package(
        "numpy-ml", "0.1.2",
        PYPI + "b9/7b/26216398d3738999b56e12f3b726cc1fe2ccfa6e68b35a54b3ac667a9826/numpy-ml-0.1.2.tar.gz",
        "672ceb70c6804ccc9263f363b021e6522aea72fd3e736a751aa313e0c6c56892",
        "neural_nets/layers/layers.py (Dense, Conv, RNN, LSTM, BatchNorm ... forward/backward), "
        "neural_nets/{activations,losses,optimizers,modules,models}; GD in linear_models",
    ),
    Package(
        "neurolab", "0.3.5",
        PYPI + "46/fd/47a9a39158b461b6b862d64c0ad7f679b08ed6d316744299f0db89066342/neurolab-0.3.5.tar.gz",
        "96ec311988383c63664f3325668f27c30561cf4349e3bc5420665c042a3b9191",
        "tool.py ff_grad/ff_grad_step (backprop), train/gd.py (GD, momentum, Rprop updates), "
        "train/delta.py, core.py/layer.py forward",
    ),
    Package(
        "mlxtend", "0.25.0",
        PYPI + "a5/c2/a257a9b3f2f989729c6c88d127be0d832cc6defbab564c97c1e410de4697/mlxtend-0.25.0.tar.gz",
        "7fd52f1c55ea80036945490ea54c497aa2251ac03cf8e728cde12275d2169bcc",
        "classifier/multilayerperceptron.py (1-hidden-layer MLP backprop), adaline.py, "
        "softmax_regression.py, logistic_regression.py, perceptron.py; regressor/linear_regression.py",
        keep=("mlxtend/classifier/", "mlxtend/regressor/", "mlxtend/_base/"),
    ),
    Package(
        "npdl", "0.4.0.1",
        PYPI + "7e/01/2fa5f83cf02891f29a3c077db15e002cd49d08cc986a6d6d8b87dfa56733/npdl-0.4.0.1.tar.gz",
        "48062c5e4c7e7156b520d6ffbf07d3877da4561022d771f7472a71a8999561e4",
        "layers/{core,convolution,pooling,recurrent,normalization,embedding}.py forward/backward, "
        "optimizers.py updates, activations.py derivatives, docs/tutorials/mlp_bp.py",
    ),
    Package(
        "pyrenn", "0.1",
        PYPI + "9a/91/c7f721d7cf1becf4d2d32aeab60e75340fdeed32490ce5af6fc2bce60e4a/pyrenn-0.1.tar.gz",
        "4a55027cdbfd3af2d401331569d6fd1bae5abfe7db4870d8a52f21a2edaf10bd",
        "python/pyrenn.py: recurrent-net forward (NNOut_), hand-written RTRL and BPTT gradients, "
        "Levenberg-Marquardt update",
    ),
    Package(
        "pybrain", "0.3",
        PYPI + "be/42/b40b64b7163d360425692db2f15a8c1d8fe4a18f1c5626cf7fcb5f5d5fb6/PyBrain-0.3.tar.gz",
        "f44e86f37f37e22f29605217d811249c0b58d6b6c261f6c22ba04f2ad9635863",
        "structure/modules/*.py and structure/connections/*.py _forward/_backwardImplementation, "
        "supervised/trainers/backprop.py, auxiliary/gradientdescent.py (Python 2)",
        keep=("pybrain/structure/", "pybrain/supervised/", "pybrain/auxiliary/"),
    ),
    Package(
        "mlfromscratch", "0.0.4",
        PYPI + "ef/5a/afce491a5b78ff0b0a375414c94c6d46c3aa6f49bddbe8e467374defef62/mlfromscratch-0.0.4.tar.gz",
        "dd9611b9b90588f97dc77a33e2a8186f6a099a4c548d2a73b30df7f25dc5c776",
        "supervised_learning/multilayer_perceptron.py (backward_pass), perceptron.py, "
        "perceptron_opt.py, logistic_regression.py; utils/optimizers.py, utils/activation_functions.py",
    ),
    Package(
        "numpy-neural-network", "0.1.8",
        PYPI + "a3/38/045c56bb962310f4ed0c12f414e2a29c338e7300db4a6bf3a77f855b1553/numpy_neural_network-0.1.8.tar.gz",
        "a66deef750b7f55ba831a2c3269895e9b367e9e1c5e5d28cfe0c1dc9b8e4d03e",
        "nn.py: forward_propagate, backward_propagate with `weights -= alpha * dW`, gradient check",
    ),
    Package(
        "xshinnosuke", "0.1.8",
        PYPI + "d8/59/e6461a32a5575e080942df50adee93d18157beb971a86e8d243858c0e6c8/xshinnosuke-0.1.8.tar.gz",
        "ec4743709f90897550d6636068d458995929450f6956146f5d72218c422d869e",
        "xs/nn/grad_fn.py (hand-written backward of every op: matmul, conv, pool, BN, dropout), "
        "xs/nn/functional.py forward, xs/optim/*.py in-place updates",
    ),
    Package(
        "tinynn", "0.1.1",
        PYPI + "39/9c/409ac65bc2fbb6f3048a8c61f688d2aa32af6a40a7adc8d0159ed0afcdb3/tinynn-0.1.1.tar.gz",
        "2b6f5b3e284f3d525ea3d718005e4d595d7facf2a9f81de95bc904c43ce3d88d",
        "core/layer.py (Dense, Conv2D, MaxPool2D, RNN, activations forward/backward), core/loss.py "
        "gradients, core/optimizer.py",
    ),
    Package(
        "numpynet", "0.1.0",
        PYPI + "cb/ac/df4552feb943c8508eeb2af1463e51e2cdc5703bf13463c10d3250bcc27c/numpynet-0.1.0-py3-none-any.whl",
        "b30ea985b5efb1a113ccecc1640f3d7e105859ae70274ca46c9ff8957beb53a0",
        "layers/{dense,conv,pool,bias,softmax,dropout}.py propagate/backpropagate with "
        "`connections -= weights_delta` (wheel: no sdist published)",
    ),
    Package(
        "aeronet-learn", "1.0.4",
        PYPI + "8a/36/18dd658559667b2a613a172297007d915ca0e245547eb3dd0b899e968af7/aeronet-learn-1.0.4.tar.gz",
        "56c348f6dca5953817737a04f75a8783c41a693067b59dd71655085bc664a010",
        "nn/layers/{dense,convolutional,maxpooling2d,dropout}.py forward/backward with in-layer "
        "updates, nn/activations/*.py, nn/optimizers/*.py",
    ),
    Package(
        "aiinpy", "0.0.18",
        PYPI + "93/48/78142ace313f89d35b752f41fdf84a17d25e62c9253af9defa5d32481cf1/aiinpy-0.0.18.tar.gz",
        "7cc16350ee67d781a86858e9349b8ae5bfaf9c3e9c9043eb4d074bf0b7310fe5",
        "aiinpy/{nn,conv,convtranspose,rnn,lstm,gru,pool}.py forward/backward with "
        "`weights += ... * learningrate`, activation derivatives",
    ),
    Package(
        "ak-pynn", "0.1.8",
        PYPI + "46/5f/42c8e950376e88a25406fa849d9a30651cfd70ab373b19d604633e5b09a4/ak_pynn-0.1.8.tar.gz",
        "9b0b618102724a5f21b44decd092f7b10a52a886e8d18f5d6db656000add2619",
        "ak_pynn/mlp.py: MLP forward, backprop with batch norm and dropout, SGD/momentum/"
        "RMSprop/Adam updates; utils.py activations and derivatives",
    ),
    Package(
        "numpy-nn", "0.2.6",
        PYPI + "0c/e7/a081761bbdbee615ae7c7794f14dbe215796afe6384c698cdca97079508b/numpy_nn-0.2.6.tar.gz",
        "071e7e2c4a5d550293bab57f598dba95e75466866813758ddfaa4a6451b64244",
        "numpy_nn/layers/Neuron.py (dense forward/backward), activations/*.py, losses/*.py, "
        "optimizers/*.py, models/Model.py training loop",
    ),
    Package(
        "nano-keras", "1.2.1",
        PYPI + "30/f0/793e38c6c6fcccb9b9f8057a6826e238a0fa7b927df1f4f958ff95049844/nano-keras-1.2.1.tar.gz",
        "ead059d113732c25fbe5143de581cf4635314a770d778095dcd6ee164d1b6217",
        "nano_keras/layers/{Dense,Conv,LSTM,GRU,PoolingLayers,Dropout,Embedding}.py backpropagate, "
        "optimizers/*.py updates, models.py",
    ),
    Package(
        "nerva-numpy", "1.0.0",
        PYPI + "2d/fe/cdaae3d6034c052aa7e3d205021fe612882603d67e9d4e2c4e24cd5fdf6c/nerva_numpy-1.0.0.tar.gz",
        "0a3a2891dcd555d331154ed3433dbfae04145c0f41954563cea8c30830f051b4",
        "src/nerva_numpy/layers.py (linear, activation, softmax, batch-norm feedforward/"
        "backpropagate), loss_functions.py gradients, optimizers.py",
    ),
)


def corpus_packages() -> tuple[Package, ...]:
    """The pinned package metadata (name, version, url, sha256, why, keep)."""
    return PACKAGES


# ---------------------------------------------------------------- selecting files


def wanted(relpath: str, keep: tuple[str, ...] = ()) -> bool:
    """Whether an archive member (top folder already removed) belongs in the corpus."""
    path = PurePosixPath(relpath)
    name = path.name
    if path.suffix != ".py" or (keep and not relpath.startswith(keep)):
        return False
    if TEST_DIRS.intersection(path.parts[:-1]):
        return False
    if name.startswith("test_") or name.endswith("_test.py") or name in ("conftest.py", "setup.py"):
        return False
    return not (name == "conf.py" and DOC_DIRS.intersection(path.parts[:-1]))


def safe_relpath(member: str, strip_top: bool) -> str | None:
    """The member's path inside the package folder, or None if unsafe (absolute, `..`)."""
    parts = [p for p in member.replace("\\", "/").split("/") if p not in ("", ".")]
    if member.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        return None
    if strip_top:
        parts = parts[1:]
    return "/".join(parts) or None


def archive_members(archive: Path):
    """Yield (name, read) for the regular files of a .tar.gz, .zip or .whl archive."""
    if archive.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(archive, "r:gz") as tar:
            for info in tar:
                if info.isfile():  # no links, devices, folders
                    yield info.name, lambda info=info: tar.extractfile(info).read()
    elif archive.suffix in (".zip", ".whl"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, lambda info=info: zf.read(info)
    else:
        raise ValueError(f"unsupported archive type: {archive.name}")


# ---------------------------------------------------------------- fetching


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(pkg: Package, cache: Path) -> Path:
    """The package's verified archive in `cache`, downloaded if not already there."""
    archive = cache / pkg.url.rsplit("/", 1)[1]
    if archive.exists() and sha256_of(archive) == pkg.sha256:
        return archive
    partial = archive.with_name(archive.name + ".part")
    try:
        with urllib.request.urlopen(pkg.url, timeout=60) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as exc:  # URLError, HTTPError, timeouts are all OSErrors
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"download failed: {pkg.url}: {exc}") from None
    actual = sha256_of(partial)
    if actual != pkg.sha256:
        partial.unlink()
        raise RuntimeError(f"sha256 mismatch for {archive.name}: expected {pkg.sha256}, got {actual}")
    partial.replace(archive)
    return archive


def extract(pkg: Package, archive: Path, dest: Path) -> int:
    """Extract the wanted .py files of `archive` into `dest`; return how many."""
    strip_top = archive.suffix != ".whl"  # sdists wrap everything in name-version/
    tmp = Path(tempfile.mkdtemp(prefix=f".{pkg.dirname}-", dir=dest.parent))
    try:
        count = 0
        for member, read in archive_members(archive):
            rel = safe_relpath(member, strip_top)
            if rel is None or not wanted(rel, pkg.keep):
                continue
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(read())
            count += 1
        (tmp / DONE).write_text(f"{pkg.url}\n{pkg.sha256}\n")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.replace(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return count


def fetch(cache: Path = CACHE) -> int:
    """Download, verify and extract every package; return the number of failures."""
    cache.mkdir(parents=True, exist_ok=True)
    failures = 0
    for pkg in PACKAGES:
        dest = cache / pkg.dirname
        if (dest / DONE).exists():
            print(f"{pkg.dirname}: already extracted", file=sys.stderr)
            continue
        try:
            count = extract(pkg, download(pkg, cache), dest)
        except (RuntimeError, OSError, ValueError, tarfile.TarError, zipfile.BadZipFile) as exc:
            print(f"error: {pkg.dirname}: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(f"{pkg.dirname}: extracted {count} files", file=sys.stderr)
    return failures


# ---------------------------------------------------------------- listing


def real_corpus_files(cache: Path | None = None) -> list[Path]:
    """Every .py file of the fetched corpus, sorted. SystemExit if it was not fetched."""
    cache = Path(cache) if cache is not None else CACHE
    missing = [p.dirname for p in PACKAGES if not (cache / p.dirname / DONE).exists()]
    if missing:
        raise SystemExit(
            f"real-code corpus missing in {cache} ({len(missing)} of {len(PACKAGES)} packages, "
            f"e.g. {missing[0]}): run `python bench/corpus.py --fetch` first"
        )
    return sorted(path for p in PACKAGES for path in (cache / p.dirname).rglob("*.py"))


def count_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def summary(files: list[Path], packages: int) -> str:
    lines = sum(count_lines(path) for path in files)
    return f"{packages} packages, {len(files)} files, {lines} lines"


def installed_code() -> list[Path]:
    """The standard library's sources and the installed numpy, libcst and click packages."""
    import importlib.util
    import sysconfig

    folders = [Path(sysconfig.get_paths()["stdlib"])]
    for name in ("numpy", "libcst", "click"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders.append(Path(list(spec.submodule_search_locations)[0]))
    return folders


def _run_one(path: str):
    """(path, lines, findings, errors, crash) for one file, checked the way `bplint check` does."""
    import warnings

    from bplint.config import Config
    from bplint.engine import check_file

    warnings.simplefilter("ignore")  # SyntaxWarnings of the code under test are not ours
    lines = count_lines(Path(path))
    try:
        outcome = check_file(path, Config())
    except BaseException as exc:  # noqa: BLE001 - a crash is what this run looks for
        return path, lines, [], [], f"{type(exc).__name__}: {exc}"
    crash = next((e.reason for e in outcome.errors if "internal error" in e.reason), None)
    findings = [f"{f.path}:{f.span.row}:{f.span.column}: {f.code} {f.message}" for f in outcome.findings]
    return path, lines, findings, [e.render() for e in outcome.errors], crash


def run(folders: list[Path], jobs: int, verbose: bool) -> int:
    """bplint over every .py file below ``folders`` (site-packages excluded from the stdlib)."""
    import multiprocessing

    files = sorted(str(p) for folder in folders for p in folder.rglob("*.py")
                   if "site-packages" not in p.relative_to(folder).parts and p.is_file())
    with multiprocessing.Pool(jobs) as pool:
        results = pool.map(_run_one, files, chunksize=8)
    lines = sum(r[1] for r in results)
    crashes = [(r[0], r[4]) for r in results if r[4]]
    errors = [e for r in results for e in r[3] if not r[4]]
    findings = [f for r in results for f in r[2]]
    print(f"folders: {', '.join(map(str, folders))}")
    print(f"files checked: {len(files)} ({lines} lines)")
    print(f"crashes: {len(crashes)}")
    for path, reason in crashes:
        print(f"  {path}: {reason}")
    print(f"files that cannot be analysed (parse errors and the like): {len(errors)}")
    for error in errors if verbose else []:
        print(f"  {error}")
    print(f"findings: {len(findings)}")
    for finding in findings:
        print(f"  {finding}")
    return 1 if crashes else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--fetch", action="store_true", help="download, verify and extract the corpus")
    mode.add_argument("--list", action="store_true", help="print every corpus .py file, sorted")
    mode.add_argument("--run", nargs="*", type=Path, metavar="FOLDER",
                      help="run bplint over these folders (default: stdlib, numpy, libcst, click)")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"cache folder (default: {CACHE})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--verbose", action="store_true", help="also list the files that cannot be analysed")
    args = parser.parse_args(argv)

    if args.run is not None:
        return run(args.run or installed_code(), args.jobs, args.verbose)

    if args.fetch:
        failures = fetch(args.cache)
        if failures:
            print(f"error: {failures} of {len(PACKAGES)} packages failed", file=sys.stderr)
        return 1 if failures else 0
    files = real_corpus_files(args.cache)
    for path in files:
        print(path)
    print(summary(files, len(PACKAGES)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
