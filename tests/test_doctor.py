"""`newsqa doctor`: one line per part, what to run when a part is broken, and an exit status
that says whether anything is.

Run as a user runs it (the `newsqa` command in a child process) against real parts: the e5
model, llama.cpp generating with the tiny SmolLM2 model in a grandchild, an embedded Chroma,
a port where no Chroma server listens, a folder the kernel refuses to create.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import free_port

from assistant import local_model
from core.settings import Settings
from tests.test_llm import smollm_path

PARTS = ["python packages", "data folder", "chroma", "embeddings", "model file", "llama.cpp build"]


def doctor(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    clean.update({"NEWSQA_DATA_DIR": str(data_dir), "COLUMNS": "200", **env})
    return subprocess.run(
        [sys.executable, "-m", "newsqa", "doctor", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
    )


def line(out: str, part: str) -> str:
    found = [x for x in out.splitlines() if f" {part}:" in x]
    assert found, f"no line for {part!r} in:\n{out}"
    index = out.splitlines().index(found[0])
    following = out.splitlines()[index + 1 : index + 2]
    return "\n".join([found[0], *[f for f in following if "→ run:" in f]])


def test_a_healthy_set_up_is_all_ok_and_exits_0(tmp_path):
    run = doctor(tmp_path / "data", NEWSQA_LLM_MODEL_PATH=str(smollm_path()))
    assert run.returncode == 0, run.stdout + run.stderr
    for part in PARTS:
        assert line(run.stdout, part).startswith("ok")
    assert "wrote" in line(run.stdout, "llama.cpp build")  # it really generated
    assert "of 6 parts ok" in run.stdout


def test_a_missing_model_says_to_pull_it(tmp_path):
    run = doctor(tmp_path / "data")
    assert run.returncode == 1
    model = line(run.stdout, "model file")
    assert model.startswith("FAIL") and "is missing" in model
    assert "→ run: newsqa models pull" in model
    # llama.cpp itself is still checked, with the tiny model
    assert line(run.stdout, "llama.cpp build").startswith("ok")


def test_a_model_file_with_the_wrong_sha256_is_named(tmp_path):
    data = tmp_path / "data"
    target = local_model.default_model_path(Settings(_env_file=None, data_dir=data))
    target.parent.mkdir(parents=True)
    target.write_bytes(b"GGUF" + b"not the published model" * 100)
    run = doctor(data, "--no-local")
    assert run.returncode == 0  # --no-local leaves the model out
    run = doctor(data)
    assert run.returncode == 1
    model = line(run.stdout, "model file")
    assert model.startswith("FAIL") and "is not the published" in model
    assert f"→ run: rm {target} && newsqa models pull" in model


def test_an_unreachable_chroma_server_is_named_with_its_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    run = doctor(tmp_path / "data", "--no-local", NEWSQA_CHROMA_URL=url)
    assert run.returncode == 1
    chroma = line(run.stdout, "chroma")
    assert chroma.startswith("FAIL") and f"server {url} unreachable" in chroma
    assert "chroma run --host 127.0.0.1" in chroma


@pytest.mark.parametrize("where", ["a file in the way", "a read-only file system"])
def test_an_unwritable_data_folder_is_named(tmp_path, where):
    if where == "a file in the way":
        blocker = tmp_path / "data"
        blocker.write_text("not a folder")
        data = blocker / "newsqa"
    else:
        data = Path("/sys/newsqa-doctor-test")  # sysfs: the kernel refuses, even to root
    run = doctor(data, "--no-local")
    assert run.returncode == 1
    folder = line(run.stdout, "data folder")
    assert folder.startswith("FAIL") and str(data) in folder
    assert "NEWSQA_DATA_DIR" in folder


def test_a_model_llama_cpp_cannot_load_is_a_failed_build_check_not_a_crash(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    run = doctor(tmp_path / "data", NEWSQA_LLM_MODEL_PATH=str(broken))
    assert run.returncode == 1
    build = line(run.stdout, "llama.cpp build")
    assert build.startswith("FAIL") and "exited with status" in build and "broken.gguf" in build
    assert "of 6 parts ok" in run.stdout  # the doctor itself went on to the end


def test_json_output_lists_every_check(tmp_path):
    import json

    run = doctor(tmp_path / "data", "--no-local", "--json")
    checks = json.loads(run.stdout)
    assert [c["part"] for c in checks] == PARTS[:4]
    assert all(c["ok"] for c in checks)
