"""Handler of `openstrikes codebook`: CODEBOOK.md from the schemas and the dataset."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS
from openstrikes.package.codebook import codebook_blocks, markdown
from openstrikes.paths import dataset_dir, repo_root
from openstrikes.schema_files import actor_schema, event_schema, place_schema
from openstrikes.toolchain.records import discover, read_record, write_atomic

CODEBOOK_FILE = "CODEBOOK.md"


def dataset_codebook() -> str:
    """The Markdown codebook of the checkout's schemas and dataset."""
    records: dict[str, list[dict[str, Any]]] = {"event": [], "actor": [], "place": []}
    for rf in discover(dataset_dir()):
        data = read_record(rf).data
        if isinstance(data, dict) and rf.kind in records:
            records[rf.kind].append(data)
    blocks = codebook_blocks(
        event_schema(), actor_schema(), place_schema(), records["event"], records["actor"], records["place"]
    )
    return markdown(blocks)


def cmd_codebook(args: argparse.Namespace) -> int:
    """`openstrikes codebook [--write | --check]`: print, write or check CODEBOOK.md."""
    text = dataset_codebook()
    if not (args.write or args.check):
        sys.stdout.write(text)
        return EXIT_OK
    path = repo_root() / CODEBOOK_FILE
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(
                f"{CODEBOOK_FILE} is stale: run `openstrikes fmt` (or `openstrikes codebook --write`)",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS
        return EXIT_OK
    write_atomic(path, text)
    return EXIT_OK
