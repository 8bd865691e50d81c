"""Files the service keeps (frames, reports): written whole or not at all."""

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, write):
    """Write through a temporary file in the same folder, then rename: a crash leaves the
    old file or none, never half of one. Returns what ``write(stream)`` returns."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            result = write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result
