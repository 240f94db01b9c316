"""Reading back what an offline W&B run wrote: the history rows of its ``run-<id>.wandb`` file.

An offline run keeps everything in one transaction log, ``<dir>/wandb/offline-run-*/run-<id>.wandb``:
a 7-byte W&B header (``:W&B``, a 2-byte magic, a version byte) and then the LevelDB log format
(32 KiB blocks; each chunk a 7-byte header: CRC32C, little-endian length, type FULL/FIRST/MIDDLE/LAST;
a block's last < 7 bytes are padding). Each record is a protobuf ``Record`` of wandb's own schema
(``wandb.proto.wandb_internal_pb2``). wandb 0.31 ships no Python reader of it any more (its Go core
writes and syncs the file), hence these few lines; ``wandb.Api`` needs a server.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def run_file(wandb_dir: Path) -> Path:
    """The one offline run's transaction log under ``wandb_dir`` (the ``dir`` given to W&B)."""
    (path,) = wandb_dir.glob("wandb/offline-run-*/run-*.wandb")
    return path


def raw_records(path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    pos, pending = HEADER, b""
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # padding at the end of a block
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        pos += HEADER
        chunk = data[pos : pos + length]
        pos += length
        if kind == FULL:
            yield chunk
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            yield pending + chunk
            pending = b""
        # kind 0 with length 0: preallocated zeros, nothing to read


def history(path: Path) -> list[dict[str, Any]]:
    """Every history row (one ``wandb.log`` call) of a finished run, its values decoded from JSON."""
    from wandb.proto import wandb_internal_pb2 as pb

    rows, kinds = [], []
    for raw in raw_records(path):
        record = pb.Record()
        record.ParseFromString(raw)
        kinds.append(record.WhichOneof("record_type"))
        if kinds[-1] == "history":
            items = record.history.item
            rows.append(
                {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in items}
            )
    assert "exit" in kinds, f"{path} has no exit record: the run is not finished, or not written out yet"
    return rows
