"""The deterministic zip of a built package."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from openstrikes.package.placement import fsync_dir

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


STORED = (".parquet", ".geoparquet")


def write_zip(package_dir: Path, target: Path) -> Path:
    """Zip a package directory deterministically (sorted names, fixed times and modes), atomically."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp-zip", dir=target.parent)
    os.fchmod(fd, 0o644)  # mkstemp makes it private; a release is published, as its directory is
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            files = sorted(
                (p.relative_to(package_dir).as_posix(), p) for p in package_dir.rglob("*") if p.is_file()
            )
            for rel, file in files:
                info = zipfile.ZipInfo(f"{package_dir.name}/{rel}", date_time=ZIP_TIME)
                # Parquet is compressed already: stored as is, readable in place
                info.compress_type = zipfile.ZIP_STORED if file.suffix in STORED else zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                info.create_system = 3
                with file.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
