"""Run ``torchtrade emulator serve`` in a child process: a standalone venue for benchmarks and tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServedEmulator:
    url: str
    process: subprocess.Popen[str]
    output: str = field(default="")  # everything the server printed, once it has stopped


@contextmanager
def serve_in_subprocess(*args: str, startup_timeout_s: float = 30.0) -> Iterator[ServedEmulator]:
    """``torchtrade emulator serve --port <free> *args`` in a child process, until the block ends.

    Yields once the server answers its status route; stops it (SIGTERM) afterwards and keeps what it
    printed in ``output``.

    Raises:
        RuntimeError: the server exited or did not answer within ``startup_timeout_s``.
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchtrade.cli", "emulator", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = ServedEmulator(f"http://127.0.0.1:{port}", proc)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {proc.returncode}: {proc.stdout.read()}")  # type: ignore[union-attr]
            try:
                requests.get(served.url + "/_emulator/status", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not answer on {served.url}") from None
                time.sleep(0.02)  # the child is still importing and binding
        yield served
    finally:
        proc.terminate()
        try:
            served.output = proc.communicate(timeout=10)[0] or ""
        except subprocess.TimeoutExpired:
            proc.kill()
            served.output = proc.communicate()[0] or ""
