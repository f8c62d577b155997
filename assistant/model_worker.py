"""Runs the local model in a worker process and watches it.

A `ModelWorker` starts `assistant.model_server` (llama.cpp's OpenAI-compatible server) on a free
port of 127.0.0.1 the first time an answer needs it, and starts a fresh one whenever the last
one is gone. Its generations are numbered: `abort(n)` ends generation n at once by killing the
worker, prompt evaluation included (llama.cpp only looks at a cancelled request between two
tokens), and does nothing when n is over, so a late Stop never hits the next person's answer.
When a worker dies, `explain` names how (signal, exit status, the last lines of its log).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# Environment variables llama.cpp's server would read as its own settings: HOST and PORT
# would move it off loopback, CONFIG_FILE would replace the model. They are never passed on.
_SERVER_ENV = ("HOST", "PORT", "CONFIG_FILE", "MODEL", "API_KEY")
_LOG_TAIL_LINES = 5


# Where scripts/install-llama.sh puts the libraries of its AVX-512 build, and the CPU features
# (as Linux names them) that build was compiled with: it is loaded only where all are present.
LLAMA_VARIANTS = Path(sys.prefix) / "lib" / "newsqa-llama"
AVX512_FEATURES = frozenset(
    {
        *("avx2", "fma", "f16c", "bmi2"),
        *("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"),
        *("avx512_vnni", "avx512vbmi", "avx512_bf16"),
    }
)


def cpu_features(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def llama_variant(choice: str = "auto", features: frozenset[str] | None = None) -> str:
    """Which llama.cpp build to load: "avx512" where this CPU has all its features and it is
    installed (or where chosen), else "avx2", the package's own, which runs on any AVX2 CPU."""
    installed = (LLAMA_VARIANTS / "avx512" / "libllama.so").is_file()
    if choice == "avx2" or not installed:
        return "avx2"
    if choice == "avx512":
        return "avx512"
    return "avx512" if (features or cpu_features()) >= AVX512_FEATURES else "avx2"


def llama_env(choice: str = "auto", base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a process that loads llama.cpp: its libraries by `llama_variant`."""
    env = dict(os.environ if base is None else base)
    if "LLAMA_CPP_LIB_PATH" not in env and llama_variant(choice) == "avx512":
        env["LLAMA_CPP_LIB_PATH"] = str(LLAMA_VARIANTS / "avx512")
    return env


class WorkerError(RuntimeError):
    """The model worker could not start, or ended while it was needed; the message says how."""


@dataclass(frozen=True)
class WorkerState:
    """What a status display shows: whether a worker runs, its pid, how the last one ended."""

    running: bool
    pid: int | None
    last_exit: str | None
    starts: int


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        why = {
            "SIGKILL": " (out of memory, or killed)",
            "SIGSEGV": " (a crash in llama.cpp: run `newsqa doctor`)",
            "SIGILL": " (llama.cpp was built for another CPU: run `newsqa doctor`)",
        }.get(name, "")
        return f"killed by {name}{why}"
    return f"exited with status {returncode}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ModelWorker:
    """One llama.cpp server process for one model file, started on demand."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int,
        threads: int,
        log_path: Path,
        start_timeout_s: float = 120.0,
        cpu_variant: str = "auto",
        prompt_cache_mb: int = 0,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.threads = threads
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.cpu_variant = cpu_variant
        self.prompt_cache_mb = prompt_cache_mb
        self.api_key = secrets.token_urlsafe(24)  # only this process may use its worker
        self._proc: subprocess.Popen | None = None
        self._base_url: str | None = None
        self._lock = threading.RLock()  # starting and stopping the process
        self._gen_lock = threading.Lock()  # generation numbers; never held for long
        self._busy = threading.Lock()  # one generation at a time, so abort hits only its own
        self._generation = 0  # the number of the generation running, or of the last one
        self._running = False
        self._last_exit: str | None = None
        self._starts = 0
        self._aborted: set[int] = set()

    # ---- process --------------------------------------------------------------------------

    def _command(self, port: int) -> list[str]:
        command = [
            sys.executable, "-m", "assistant.model_server", "--parent-pid", str(os.getpid()),
            "--", "--model", str(self.model_path), "--model_alias", "local",
            "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            # The server's default computes the logits of every prompt token (for logprobs,
            # which newsqa never asks for): measured, the worker then took 1.12 times as long
            # as in-process llama.cpp for a whole answer, 1.06 without.
            "--logits_all", "false",
        ]  # fmt: skip
        if self.prompt_cache_mb > 0:
            # llama.cpp reuses the prompt it evaluated last, but a rewrite or a choice in
            # between has another system prompt: the cache (`model_server.prompt_cache`) keeps
            # the states of several.
            command += ["--cache", "true", "--cache_type", "ram"]
            command += ["--cache_size", str(self.prompt_cache_mb * 2**20)]
        return command

    def _env(self) -> dict[str, str]:
        env = llama_env(
            self.cpu_variant, {k: v for k, v in os.environ.items() if k not in _SERVER_ENV}
        )
        env["API_KEY"] = self.api_key
        return env

    def _start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        with self.log_path.open("ab") as log:
            log.write(f"\n--- worker start {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
            log.flush()
            proc = subprocess.Popen(
                self._command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,  # a Ctrl-C in the terminal reaches the app, not the model
            )
        self._proc, self._base_url = proc, f"http://127.0.0.1:{port}/v1"
        self._starts += 1
        deadline = time.monotonic() + self.start_timeout_s
        headers = {"Authorization": f"Bearer {self.api_key}"}
        while True:
            code = proc.poll()
            if code is not None:
                self._proc = None
                self._last_exit = describe_exit(code)
                raise WorkerError(
                    f"the local model worker {self._last_exit} while loading "
                    f"{self.model_path.name}{self._log_tail()}"
                )
            try:
                # Loopback: never through a proxy that the environment may name.
                up = httpx.get(
                    f"{self._base_url}/models", headers=headers, timeout=2, trust_env=False
                )
                if up.is_success:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self._kill()
                raise WorkerError(
                    f"the local model worker did not come up within {self.start_timeout_s:.0f} s"
                    f"{self._log_tail()}"
                )
            time.sleep(0.1)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
            self._last_exit = describe_exit(proc.returncode)

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        tail = [line for line in lines[-_LOG_TAIL_LINES:] if line.strip()]
        return (f"; last lines of {self.log_path}: " + " | ".join(tail)) if tail else ""

    def ensure_started(self) -> str:
        """The worker's base URL, starting a worker first if none is alive."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:
                self._last_exit = describe_exit(self._proc.returncode)
                self._proc = None
            if self._proc is None:
                self._start()
            assert self._base_url is not None
            return self._base_url

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` by the served model's own tokenizer."""
        base = self.ensure_started().removesuffix("/v1")
        response = httpx.post(
            f"{base}/extras/tokenize/count",
            json={"input": text},
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
            trust_env=False,
        )
        response.raise_for_status()
        return int(response.json()["count"])

    def stop(self) -> None:
        """End the worker (at exit, or to free its memory)."""
        with self._lock:
            self._kill()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def busy(self) -> bool:
        """A generation holds the worker (loading it included)."""
        return self._running

    @property
    def generations(self) -> int:
        """How many generations were begun; the number of the latest."""
        return self._generation

    def state(self) -> WorkerState:
        proc = self._proc
        if proc is not None and proc.poll() is not None:
            self._last_exit = describe_exit(proc.returncode)
        return WorkerState(
            running=self.pid is not None,
            pid=self.pid,
            last_exit=self._last_exit,
            starts=self._starts,
        )

    # ---- generations ----------------------------------------------------------------------

    @contextmanager
    def generation(self) -> Iterator[tuple[int, str]]:
        """Hold the worker for one generation: yields (its number, the base URL)."""
        with self._busy:
            with self._gen_lock:
                self._generation += 1
                number = self._generation
                self._running = True
            try:
                base_url = self.ensure_started()
                if self.was_aborted(number):  # stopped while the worker was loading
                    raise WorkerError("the answer was stopped")
                yield number, base_url
            finally:
                with self._gen_lock:
                    self._running = False
                    self._aborted.discard(number)

    def abort(self, number: int) -> bool:
        """End generation `number` now if it is still running; True when it was.

        Takes no lock that a loading or answering worker holds, so it returns at once."""
        with self._gen_lock:
            if not (self._running and self._generation == number):
                return False
            self._aborted.add(number)
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)  # gone (memory freed) by the time Stop returns
        self._last_exit = "stopped by the user"
        return True

    def was_aborted(self, number: int) -> bool:
        return number in self._aborted

    def explain(self, number: int, exc: BaseException, timeout_s: float) -> str:
        """Why generation `number` failed with `exc`, in words for the person who asked."""
        with self._lock:
            if self.was_aborted(number):
                return "the answer was stopped"
            proc = self._proc
            if proc is not None:
                # A killed process closes its sockets a moment before it can be reaped.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=1.0)
            if proc is not None and proc.poll() is not None:
                self._last_exit = describe_exit(proc.returncode)
                self._proc = None
                return (
                    f"the local model worker {self._last_exit} while answering; "
                    "the next question starts a new one"
                )
            if isinstance(exc, httpx.TimeoutException) or "timed out" in str(exc).lower():
                self._kill()
                self._last_exit = f"stopped after {timeout_s:.0f} s without output"
                return (
                    f"the local model wrote nothing for {timeout_s:.0f} s and was stopped "
                    "(NEWSQA_LLM_TIMEOUT_S); the next question starts a new one"
                )
            return f"the local model failed: {exc}"


_WORKERS: dict[tuple[str, int, int, str, int], ModelWorker] = {}
_WORKERS_LOCK = threading.Lock()


def worker_for(
    model_path: Path,
    *,
    n_ctx: int,
    threads: int,
    log_path: Path,
    cpu_variant: str = "auto",
    prompt_cache_mb: int = 0,
) -> ModelWorker:
    """The process-wide worker for this model file and shape (one 1 GB process, not one per
    caller)."""
    key = (str(model_path), n_ctx, threads, cpu_variant, prompt_cache_mb)
    with _WORKERS_LOCK:
        if key not in _WORKERS:
            _WORKERS[key] = ModelWorker(
                model_path,
                n_ctx=n_ctx,
                threads=threads,
                log_path=log_path,
                cpu_variant=cpu_variant,
                prompt_cache_mb=prompt_cache_mb,
            )
        return _WORKERS[key]


def running_workers() -> list[ModelWorker]:
    with _WORKERS_LOCK:
        return list(_WORKERS.values())


@atexit.register
def _stop_all() -> None:
    for worker in running_workers():
        worker.stop()
