"""Writing report files safely: atomic replacement, strict JSON, a lock for shared files.

Every file is written to a temporary file in the same directory and moved into place with
``os.replace``, so a reader never sees half a file and an interrupted run leaves the previous
version. JSON is strict (RFC 8259): a non-finite float is written as ``null`` and its path and
value are listed under the document's ``nonfinite`` key.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def plain(obj: Any) -> Any:
    """Dataclasses, enums, paths, tuples and numpy/torch scalars as plain JSON-able values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (bool, int, float, str)) or obj is None:
        return obj
    if hasattr(obj, "item"):  # numpy / torch scalars
        return obj.item()
    return str(obj)


def strict(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every non-finite float replaced by null and listed under ``nonfinite``."""
    flags: dict[str, str] = {}

    def walk(x: Any, where: str) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            flags[where] = "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
            return None
        if isinstance(x, dict):
            return {k: walk(v, f"{where}.{k}" if where else k) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(x)]
        return x

    out = walk(plain(document), "")
    out["nonfinite"] = flags
    return out


def dumps_strict(document: dict[str, Any]) -> str:
    """Strict JSON text of ``document`` (see :func:`strict`)."""
    return json.dumps(strict(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
