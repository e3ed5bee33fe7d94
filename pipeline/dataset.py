"""The output folder of a run: each table a partitioned Parquet dataset, and the manifest.

Layout of OUTPUT::

    documents/<part>.parquet   one folder per table; `pd.read_parquet(OUTPUT / "documents")`
    sentences/<part>.parquet   reads a whole table, `pipeline.load(OUTPUT)` reads them all
    ...
    csv/<table>/<part>.csv     the same parts as CSV, when asked
    _manifest.json             what each part was made from (content hashes) and with what
    _journal.jsonl             parts finished since the manifest was last written

A *part* holds the rows of one unit of work: up to `chunk_size` rows of one input table, or a
bucket of pages. A part is written (every table, atomically) before the journal records it, so
a run killed at any point leaves only parts that are either recorded and complete or
unrecorded and redone by the next run. A re-run skips every unit whose inputs and settings are
unchanged, redoes the others and deletes the parts of inputs that are gone.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import export, schema
from pipeline.errors import OutputError
from pipeline.inputs import Columns, InputDocument, discover, input_root, is_table, read_file

log = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
JOURNAL = "_journal.jsonl"
CSV_FOLDER = "csv"
MANIFEST_VERSION = 1
# A bucket of pages is re-cut (every page redone) only when the folder has grown this much.
_BUCKET_SLACK = 4


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of work: the documents of one part, and the hash of what they were read from."""

    key: str
    fingerprint: str
    documents: list[InputDocument]


@dataclass
class Plan:
    """What a run has to do: the units to process, and every part the finished output holds."""

    keys: set[str] = field(default_factory=set)
    skipped_documents: int = 0


def table_folder(output: Path, table: str, fmt: str) -> Path:
    """The folder holding one table's parts in one format."""
    return output / table if fmt == "parquet" else output / CSV_FOLDER / table


def part_path(output: Path, table: str, key: str, fmt: str) -> Path:
    """Where one part of one table is written."""
    return table_folder(output, table, fmt) / f"{key}.{fmt}"


def write_part(
    output: Path, key: str, rows: export.Rows, *, tables: Iterable[str], formats: Iterable[str]
) -> None:
    """Writes one part of every table (empty ones too, so a part is complete or absent), atomically."""
    for table in tables:
        arrow = rows.arrow(table)
        for fmt in formats:
            target = part_path(output, table, key, fmt)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(
                    f"cannot create {target.parent}: {exc.strerror}; choose a writable path"
                ) from exc
            export.atomic_write(target, lambda path, t=arrow, f=fmt: export.write_file(t, path, f))


class Manifest:
    """The record of finished parts: unit key → fingerprint and document count, plus file hashes.

    Loaded from `_manifest.json` and the journal; `record` appends to the journal (flushed to
    disk) as each part is finished; `save` folds the journal into the manifest at the end.
    """

    def __init__(self, output: Path, settings: dict[str, Any], *, fresh: bool = False) -> None:
        """Reads the manifest of `output`, unless `fresh` (or other settings) make every unit new."""
        self.output = output
        self.settings = settings
        self.units: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.page_buckets = 0
        self._journal = None
        self._fresh = fresh
        self._on_disk = False  # whether the manifest file holds these settings
        self._load()

    def _load(self) -> None:
        path = self.output / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError) as exc:
            log.warning("%s is unreadable (%s); every input will be processed again", path, exc)
            data = {}
        self.files = data.get("files", {})  # the hash cache survives a change of settings
        if self._fresh:
            return
        if data.get("version") != MANIFEST_VERSION or data.get("settings") != self.settings:
            if data:
                log.info("settings or code changed since the last run: every input is processed again")
            return
        self._on_disk = True
        self.units = data.get("units", {})
        self.page_buckets = data.get("page_buckets", 0)
        journal = self.output / JOURNAL
        if journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:  # a line cut short by a kill
                    continue
                self.units[entry.pop("key")] = entry

    def done(self, key: str, fingerprint: str, tables: Iterable[str], formats: Iterable[str]) -> bool:
        """Whether the unit's part is recorded with this fingerprint and all its files are there."""
        entry = self.units.get(key)
        if entry is None or entry["fingerprint"] != fingerprint:
            return False
        return all(part_path(self.output, t, key, f).exists() for t in tables for f in formats)

    def record(self, key: str, fingerprint: str, documents: int) -> None:
        """Records a finished part in the journal (durably, before the next part starts)."""
        entry = {"fingerprint": fingerprint, "documents": documents}
        self.units[key] = entry
        if self._journal is None:
            self.output.mkdir(parents=True, exist_ok=True)
            if self._fresh or not self._on_disk:
                self.save(keep=None)  # the journal's lines belong to these settings
            self._journal = (self.output / JOURNAL).open("a", encoding="utf-8")
        self._journal.write(json.dumps({"key": key, **entry}) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def digest(self, file: Path, rel: str) -> str:
        """The file's content hash (SHA-1), recomputed only when its size or mtime changed."""
        stat = file.stat()
        cached = self.files.get(rel)
        if cached and cached["size"] == stat.st_size and cached["mtime_ns"] == stat.st_mtime_ns:
            return cached["sha1"]
        with file.open("rb") as stream:
            sha1 = hashlib.file_digest(stream, "sha1").hexdigest()
        self.files[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha1": sha1}
        return sha1

    def save(self, keep: set[str] | None) -> None:
        """Writes the manifest atomically (units not in `keep` dropped) and empties the journal."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if keep is not None:
            self.units = {k: v for k, v in self.units.items() if k in keep}
        data = {
            "version": MANIFEST_VERSION,
            "settings": self.settings,
            "page_buckets": self.page_buckets,
            "units": self.units,
            "files": self.files,
        }
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        self.output.mkdir(parents=True, exist_ok=True)
        export.atomic_write(self.output / MANIFEST, lambda path: path.write_text(text, encoding="utf-8"))
        journal = self.output / JOURNAL
        if journal.exists():
            journal.unlink()


def plan_units(
    input_path: Path,
    manifest: Manifest,
    plan: Plan,
    *,
    chunk_size: int,
    columns: Columns,
    tables: Iterable[str],
    formats: Iterable[str],
) -> Iterator[Unit]:
    """The units of the input still to process, read lazily; `plan` collects every part key.

    Pages are grouped into buckets by a hash of their path (a changed page redoes its bucket
    only); a table is cut into parts of `chunk_size` consecutive rows.
    """
    run = _Planning(
        input_root(input_path), manifest, plan, chunk_size, columns, tuple(tables), tuple(formats)
    )
    files = discover(input_path)
    pages = [f for f in files if not is_table(f)]
    if pages:
        yield from _page_units(pages, run)
    for file in files:
        if is_table(file):
            yield from _table_units(file, run)


@dataclass(frozen=True, slots=True)
class _Planning:
    """What planning the units of one run needs."""

    root: Path
    manifest: Manifest
    plan: Plan
    chunk_size: int
    columns: Columns
    tables: tuple[str, ...]
    formats: tuple[str, ...]

    def skip_if_done(self, key: str, fingerprint: str) -> bool:
        """Adds `key` to the plan; True (and counted as skipped) when its part is already done."""
        self.plan.keys.add(key)
        if not self.manifest.done(key, fingerprint, self.tables, self.formats):
            return False
        self.plan.skipped_documents += self.manifest.units[key]["documents"]
        return True


def _page_units(pages: list[Path], run: _Planning) -> Iterator[Unit]:
    manifest = run.manifest
    capacity = manifest.page_buckets * run.chunk_size
    if not manifest.page_buckets or len(pages) > _BUCKET_SLACK * capacity:
        manifest.page_buckets = 2 ** math.ceil(math.log2(max(1, math.ceil(len(pages) / run.chunk_size))))
    buckets: dict[int, list[tuple[Path, str]]] = {}
    for page in pages:
        rel = page.relative_to(run.root).as_posix()
        bucket = int.from_bytes(hashlib.sha1(rel.encode()).digest()[:8], "big") % manifest.page_buckets
        buckets.setdefault(bucket, []).append((page, rel))
    for bucket, members in sorted(buckets.items()):
        hashes = hashlib.sha1()
        for page, rel in members:
            try:
                hashes.update(f"{rel}\0{manifest.digest(page, rel)}\n".encode())
            except OSError:  # unreadable: read_file records it as a failed document
                hashes.update(f"{rel}\0unreadable\n".encode())
        key, fingerprint = f"pages-{manifest.page_buckets}-{bucket:05d}", hashes.hexdigest()
        if not run.skip_if_done(key, fingerprint):
            documents = [doc for page, rel in members for doc in read_file(page, rel, columns=run.columns)]
            yield Unit(key, fingerprint, documents)


def _table_units(file: Path, run: _Planning) -> Iterator[Unit]:
    manifest = run.manifest
    rel = file.relative_to(run.root).as_posix()
    stem = f"{_slug(file.stem)}-{hashlib.sha1(rel.encode()).hexdigest()[:8]}"
    try:
        sha1 = manifest.digest(file, rel)
    except OSError as exc:
        sha1 = f"unreadable: {exc}"

    def key(number: int) -> str:
        return f"{stem}-{number:05d}"

    def fingerprint(number: int) -> str:
        return f"{sha1}:{number:05d}"

    # Unchanged and finished: skipped without reading it.
    previous = [(key(n), fingerprint(n)) for n in range(manifest.files.get(rel, {}).get("parts", 0))]
    if previous and all(manifest.done(k, fp, run.tables, run.formats) for k, fp in previous):
        run.plan.keys.update(k for k, _ in previous)
        run.plan.skipped_documents += sum(manifest.units[k]["documents"] for k, _ in previous)
        return
    documents = read_file(file, rel, columns=run.columns)
    number = 0
    while True:
        chunk = list(itertools.islice(documents, run.chunk_size))
        if not chunk and number:
            break
        if not run.skip_if_done(key(number), fingerprint(number)):
            yield Unit(key(number), fingerprint(number), chunk)
        number += 1
        if len(chunk) < run.chunk_size:
            break
    if rel in manifest.files:
        manifest.files[rel]["parts"] = number


def remove_stale(output: Path, keep: set[str], tables: Iterable[str], formats: Iterable[str]) -> int:
    """Deletes every part not in `keep`, and every part of the tables and formats this run does not write.

    Also deletes the single-file tables (`documents.parquet`, ...) older versions wrote.

    Returns:
        How many files were deleted.
    """
    tables, formats = set(tables), set(formats)
    removed = 0
    for fmt in export.FORMATS:
        for table in schema.TABLE_NAMES:
            legacy = output / f"{table}.{fmt}"
            if legacy.is_file():
                legacy.unlink()
                removed += 1
            folder = table_folder(output, table, fmt)
            if not folder.is_dir():
                continue
            for part in folder.glob(f"*.{fmt}"):
                if table not in tables or fmt not in formats or part.stem not in keep:
                    part.unlink()
                    removed += 1
            if not any(folder.iterdir()):
                folder.rmdir()
        csv = output / CSV_FOLDER
        if csv.is_dir() and not any(csv.iterdir()):
            csv.rmdir()
    return removed


def settings_fingerprint(model: str | Path | None) -> str:
    """A hash of the code and model a run uses: outputs made by other code are redone."""
    from pipeline.config import PROJECT_ROOT
    from pipeline.inference import DEFAULT_MODEL

    hashes = hashlib.sha1()
    package = PROJECT_ROOT / "pipeline"
    model_dir = Path(model or DEFAULT_MODEL)
    files = sorted(package.rglob("*.py")) + sorted((package / "resources").glob("*"))
    files += sorted(p for p in model_dir.rglob("*") if p.is_file()) if model_dir.is_dir() else []
    for path in files:
        hashes.update(path.name.encode())
        hashes.update(path.read_bytes())
    for dist in ("spacy", "underthesea"):
        hashes.update(_version(dist).encode())
    return hashes.hexdigest()


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "-"


def _slug(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", name)[:40] or "table"
