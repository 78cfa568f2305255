"""Benchmark: registry scale, side by side in one run on one generated file.

A file of N PHQ-9 + GAD-7 administrations (subject, timepoint, site, year, 16 items, 1%
blank cells) is generated on the fly as CSV and as Parquet, then each of these runs in its
own child process (wall time, rows per second, peak resident memory from ``os.wait4``):

1. ``stream csv``: ``past-outcomes score FILE.csv -o OUT.parquet`` (streamed: bounded memory,
   every check of the safe reader, validation, summary, output renamed into place).
2. ``stream parquet``: the same on FILE.parquet.
3. ``minimal csv`` / ``minimal parquet``: a hand-written chunked pandas scorer of the same file
   (``pd.read_csv(chunksize=...)`` / ``pyarrow iter_batches``), no validation at all, that
   computes and writes to Parquet what the engine outputs for PHQ-9 + GAD-7: totals (complete
   cases), severity bands, the cut-off classifications, the item-9 flag and the items
   answered (until session 18 it computed the two totals only, which flattered the floor):
   the floor to beat.
4. ``in-memory``: ``po.score`` on one pandas DataFrame of the first ``--whole-max`` rows of
   the Parquet file (a slice: all 20,000,000 rows fit in this machine's 24 GiB but take
   11.2 GiB; the command line streams any large file since session 18, so it no longer
   measures the engine read whole), its rows per second counted on the slice.
5. ``dask``: ``po.score(..., keep=[ids])`` on ``dd.read_parquet(split_row_groups=True)``
   (one partition per row group of 500,000 rows) with a ``dask.distributed`` LocalCluster of
   2 workers (1 thread each), identifiers and scores written with ``to_parquet``; then
   ``compute_registry_summary`` per site and year on the scored files (``--skip-dask`` to
   leave out). Its peak memory is the larger worker's own peak RSS, per phase (each worker
   measured in itself, its peak reset between score + write and the summary through
   ``/proc/self/clear_refs``); ``os.wait4`` reports the largest of the client and its workers
   over both.

Run: python benchmarks/bench_registry.py [--rows N] [--chunk-rows N] [--whole-max N]
[--skip-dask] [--dask-memory 2GiB] [--data FOLDER]. The default (1,000,000 rows) takes about
two minutes on the 2-core machine; the issue's 20,000,000 rows: ``--rows 20000000
--whole-max 3000000`` (about 5 minutes, and 2 more to write the files; ``--data FOLDER``
keeps them for the next run).

Closing note, session 19 (2-core machine, no other session running, load average 1-2)
------------------------------------------------------------------------------------------------
``--rows 20000000 --whole-max 3000000 --data /work/bench20m``, the last run, at commit d3e8103:

    run                  wall s     rows/s  peak MiB
    minimal csv            31.1    644,067       295
    stream csv             27.3    732,311       543
    minimal parquet        26.3    761,213       493
    stream parquet         24.4    818,551       648
    in-memory               7.0    429,075     1,940   (the first 3,000,000 rows)
    dask (2 workers)       35.5    563,523       800   (score + write; summary 27.5 s, 790 MiB)

Streamed CSV 0.88x the minimal scorer's time, streamed Parquet 0.93x, Dask 1.35x (target
1.5x), every peak under 1 GiB: met. The Dask time varies most from run to run: 28.5 s (1.06x,
commit d8c57a3), 34.9 s (1.42x, 174b658), 35.5 s (1.35x, d3e8103), and 29.8 / 30.2 s against
26.0 / 28.0 s for the minimal scorer run alternately with it (1.08-1.15x). The in-memory
engine on all 20,000,000 rows (the whole file fits in this machine's 24 GiB): 40.4 s, peak
11.2 GiB. The first full run of the session (commit 556caa1, before the writing thread, the
hash change, ``pre_buffer=False`` and the band labels): stream Parquet 1.43x, Dask 1.47x;
until commit e23a2e9 the summary failed at 40 partitions. What changed, each measured alone
on the same files:

- Dask: ``score(..., keep=ids)`` carries the identifiers in the partition's one read
  (assigning ``ddf[ids]`` beside the scores read them again, fused five row groups a
  partition: 103 s and 1.7 GiB); the held scores are compressed with Zstandard level 1 (LZ4
  held 17 MB a partition and put a worker at 1,093 MiB; Zstandard 4.8 MB: 883 MiB, about
  0.1 s more a partition); the pair hashes travel without their positions and each bucket
  sorts hashes alone (bucket reductions 4.6 s -> 1.2 s of compute; 850 -> 793 MiB); band
  labels taken by Arrow (70 -> 10 ms per 500,000 rows, all paths). Task times summed over
  both workers (``get_task_stream``, 40 partitions, before the band change): validate,
  score, hash and hold 29 s; Dask's reads 10 s; Parquet writes 9.6 s; release 7.8 s. What
  the cluster holds until the duplicate check: about 18 bytes a row (compressed scores and
  identifiers about 10, pair hashes 8), spilled to disk by Dask above its memory target.
- Registry summary: pair counts per group and (pre, post) replace per-client classification
  with a lazy group SD handed to every partition, which Dask 2026.8 broke beyond 32 shuffled
  partitions (40 here: the run failed with "lost dependencies"); 37-46 s / 1.1 GiB ->
  22-28 s / 690-790 MiB. Clients are paired within each partition before the shuffle.
- Streamed Parquet: the next batch decoded and the previous chunk written in threads
  (pyarrow releases the GIL): 33.8 s -> 25.1-26.4 s; and the file opened with
  ``pre_buffer=False``: pyarrow's default kept the buffers of every row group read, so the
  CLI's memory grew with the file (RSS 470 -> 790 MiB over 20M rows; now flat at 440 MiB).
  Streamed CSV benefits from the writing thread too (34.7 -> 27.3-30.8 s).

Closing note, session 18 (2-core machine shared with five other sessions' test runs, mypy,
an R package build and notebook executions: load average 5-7 throughout; one run each, so
ratios are indicative)
------------------------------------------------------------------------------------------------
The issue's run, 20,000,000 rows (CSV 1,057 MiB, Parquet 133 MiB), chunks of 200,000 rows,
``--rows 20000000 --whole-max 3000000``, package at commit 49c7990 (before the read-ahead):

    run                  wall s     rows/s  peak MiB
    minimal csv            43.5    460,063       291
    stream csv             68.0    294,235       447
    minimal parquet        40.3    496,345       493
    stream parquet         51.6    387,921       684
    in-memory csv          89.8     33,397     3,666   (the first 3,000,000 rows, read whole)
    dask (2 workers)      612.2     32,668    10,813   (score + to_parquet; summary 155.6 s)

Streamed CSV 1.56x the minimal scorer's time, Parquet 1.28x (target 1.5x). The minimal
scorer now computes what the engine outputs for PHQ-9 + GAD-7 (totals, bands, cut-offs, the
item-9 flag, items answered; it computed two totals until this session) and validates
nothing; every streamed path validates every cell, checks duplicates across the whole file,
accumulates the summary and renames its output into place. After the read-ahead thread
(commit 6f58391), 1,000,000 rows, three alternating runs on the same loaded machine: stream
CSV 7.5 / 8.3 / 7.7 s against minimal 5.8 / 6.5 / 5.6 s (1.28-1.38x, about 1 s of it the
CLI's imports). Peak memory of the streamed runs stays under 700 MiB at 20M rows, as at 1M
(set by ``--chunk-rows``; the duplicate check spills 16 bytes a row to disk); read whole,
3M rows need 3.7 GiB.

Not met: the Dask path. Its peak (a worker, reported by ``os.wait4`` as the largest
descendant) reached 10.8 GB with Dask's default memory limit (total RAM / workers): the
duplicate check shuffles the identifier pairs as Python objects (``frames._pairs``); one
worker was restarted by its nanny and the run took 10 minutes. The benchmark now gives
each worker ``--dask-memory`` (2 GiB by default). The remedy (not made): shuffle 64-bit pair
hashes and positions only, as the streamed path does, and confirm candidates afterwards.

Session 18, after the Dask rework (commits 5309c1e, aecd316, fea08bc), the same command on
a lighter machine (load average 1-3: other sessions' test runs), one run:

    run                  wall s     rows/s  peak MiB
    minimal csv            36.5    548,362       292
    stream csv             42.9    466,740       500
    minimal parquet        22.0    907,584       519
    stream parquet         28.4    705,027       761
    in-memory csv           5.7    530,250       503   (3M-row slice: the CLI now streams it)
    dask (2 workers)       58.2    343,914     1,792   (40 partitions; summary 40.9 s)

Dask: 612 s -> 58 s (pair hashes instead of Python-object pairs, the engine's fast path,
one partition per row group) and the summary 156 s -> 41 s (one shuffle instead of two), but
still 2.6x the minimal Parquet scorer's time (target 1.5x) and a worker peaked at 1.75 GiB
(each worker's own peak RSS over score, write and summary; target 1 GiB): not met. Where it
goes per 500,000-row partition (synchronous scheduler): two reads 0.2 s each, validation
0.25 s (pair hashes 0.1 s of it), scoring 0.3 s, Parquet write 0.25 s; Dask's projected read
of the identifiers is fused two partitions at a time and the scores repartitioned to match.

Session 18, later (commits 8bfd1e7: each partition read once, validated, scored and held
LZ4-compressed until the check; c7c2960: task-based shuffle in the summary). 20,000,000 rows
(the same generator, Parquet only), load average 2-4, each Dask phase in its own cluster,
old and new code alternated in the same hour (the 58 s above was a lighter machine):

    run                                     old code            new code
    minimal parquet                         24.0 / 28.2 s, peak 501-508 MiB (two runs)
    dask: scores alone to_parquet           70.1 s, 1,457 MiB   65.2-65.4 s, 919-932 MiB
    dask: this script (ids beside scores)   90.7 s, 1,535 MiB   102.6 s, 1,773 MiB
    summary on that output (tasks shuffle)  40.1 s, 1,653 MiB   40.4 s, 1,645 MiB
    summary, p2p shuffle (old default)                          50.4 s, 1,828 MiB

4,000,000 rows (8 partitions): scores alone 27.2 -> 22.5 s, worker peak 884 -> 629 MiB;
summary 14.2 -> 11.3 s, 863 -> 688 MiB (tasks instead of p2p shuffle). Scores alone now stay
under 1 GiB; the time is still 2.3-2.7x the minimal scorer's (target 1.5x): per 500,000-row
partition, synchronous and unloaded, dask's read 0.42 s, engine 0.25 s, pair hashes 0.17 s,
holding and releasing the compressed scores 0.22 s, Parquet write 0.28 s, against about 0.6 s
for the whole of the minimal scorer's work. Not met either: this script's pattern,
``ddf[ids].assign(**scores)``. Dask fuses the projected read of the identifiers (4 of 20
columns: FusedParquetIO, five row groups a partition), so the output has 8 partitions of
2,500,000 rows: each write task concatenates the scores of five partitions (repartitioned),
and the summary then reads 2,500,000-row files whole; both 1.7 GiB peaks come from those
partitions (with old and new code alike), not from the scoring. Remedy not made: identifiers
carried through ``score`` (a contract change) or a read of the identifiers that Dask does
not fuse.

Where the streamed time goes (1M rows, in process, loaded machine): pyarrow parsing 1.0 s,
the engine without its identifier checks 1.2-1.4 s, Parquet writing 1.0-1.2 s, pair hashes
0.3 s, summary 0.4 s. Before this session: streamed CSV 7.1x, Parquet 3.7x the (two-total)
minimal scorer at 1M rows; the csv module's records as Python lists cost 6 of its 10 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PHQ9 = [f"phq9_{i}" for i in range(1, 10)]
GAD7 = [f"gad7_{i}" for i in range(1, 8)]


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    """The CSV and the Parquet file of ``n`` administrations, written in blocks."""
    csv_path, pq_path = folder / "registry.csv", folder / "registry.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(2024)
    writer = None
    block = 500_000
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        for start in range(0, n, block):
            m = min(block, n - start)
            ids = np.arange(start, start + m)
            frame = pd.DataFrame(
                {
                    "subject": [f"C{i // 4}" for i in ids],
                    "timepoint": [f"s{i % 4}" for i in ids],
                    "site": [f"site{(i // 4) % 50}" for i in ids],
                    "year": 2020 + (ids // 4) % 5,
                }
            )
            answers = rng.integers(0, 4, size=(m, 16)).astype(float)
            answers[rng.random((m, 16)) < 0.01] = np.nan
            for j, col in enumerate(PHQ9 + GAD7):
                frame[col] = pd.array(answers[:, j], dtype="Int64")
            frame.to_csv(fh, index=False, header=start == 0, lineterminator="\n")
            table = pa.Table.from_pandas(frame.astype({c: "float64" for c in PHQ9 + GAD7}))
            if writer is None:
                writer = pq.ParquetWriter(pq_path, table.schema)
            writer.write_table(table)
    if writer is not None:
        writer.close()
    return csv_path, pq_path


MINIMAL = """
import sys, numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
src, out, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
phq = [f"phq9_{i}" for i in range(1, 10)]; gad = [f"gad7_{i}" for i in range(1, 8)]
PHQ_BANDS = np.array(["minimal", "mild", "moderate", "moderately severe", "severe"], object)
GAD_BANDS = np.array(["minimal", "mild", "moderate", "severe"], object)
if src.endswith(".csv"):
    chunks = pd.read_csv(src, chunksize=chunk)
else:
    chunks = (b.to_pandas() for b in pq.ParquetFile(src).iter_batches(batch_size=chunk))
def scale(part, items, name, bands, edges):
    x = part[items].to_numpy(dtype=float)
    total = x.sum(axis=1)  # NaN when an item is blank, as the engine's "complete" rule
    ok = ~np.isnan(total)
    band = np.where(ok, bands[np.searchsorted(edges, np.nan_to_num(total), side="right")], None)
    return {f"{name}_total": total, f"{name}_band": pd.array(band, dtype="string"),
            f"{name}_probable": pd.array(np.where(ok, total >= 10, None), dtype="boolean"),
            f"{name}_n_answered": (~np.isnan(x)).sum(axis=1)}
writer = None
for part in chunks:
    res = {"subject": part["subject"], "timepoint": part["timepoint"]}
    res.update(scale(part, phq, "phq9", PHQ_BANDS, [5, 10, 15, 20]))
    item9 = part["phq9_9"].to_numpy(dtype=float)
    res["phq9_item9_flag"] = pd.array(np.where(np.isnan(item9), None, item9 >= 1), dtype="boolean")
    res.update(scale(part, gad, "gad7", GAD_BANDS, [5, 10, 15]))
    table = pa.Table.from_pandas(pd.DataFrame(res), preserve_index=False)
    writer = writer or pq.ParquetWriter(out, table.schema)
    writer.write_table(table)
writer.close()
"""

DASK = """
import sys, time
import dask.dataframe as dd
from dask.distributed import Client, LocalCluster
import past_outcomes as po
from past_outcomes.registry.summary import compute_registry_summary
src, out = sys.argv[1], sys.argv[2]
def peak():  # this process's peak resident memory (MiB) since start or the last reset
    with open("/proc/self/status") as fh:
        return int(fh.read().split("VmHWM:")[1].split()[0]) / 1024
def reset():  # Linux: writing 5 to clear_refs resets the peak (VmHWM)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
if __name__ == "__main__":
  with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=sys.argv[3],
                    dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
    t0 = time.perf_counter()
    # one partition per row group (500,000 rows); blocksize=None made one of the whole file
    ddf = dd.read_parquet(src, split_row_groups=True)
    # the identifiers kept beside the scores in each partition's one read (assigning
    # ddf[ids] afterwards read them again, five row groups per fused partition)
    full = po.score(ddf, instrument=["phq9", "gad7"], keep=["subject", "timepoint", "site", "year"])
    full.to_parquet(out, write_index=False)
    t1 = time.perf_counter()
    score_peak = max(client.run(peak).values())
    client.run(reset)
    summary = compute_registry_summary(dd.read_parquet(out), measure="phq9_total",
        instrument="phq9", pre="s0", post="s3", period="year")
    t2 = time.perf_counter()
    summary_peak = max(client.run(peak).values())
    print(f"{t1 - t0:.3f} {t2 - t1:.3f} {len(summary)} {score_peak:.0f} {summary_peak:.0f} "
          f"{ddf.npartitions}")
"""


IN_MEMORY = """
import sys, pyarrow.parquet as pq, past_outcomes as po
src, out, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
table = pq.ParquetFile(src).iter_batches(batch_size=rows).__next__()  # the first rows
frame = table.to_pandas()
scores = po.score(frame, instrument=["phq9", "gad7"], keep=["subject", "timepoint", "site", "year"])
scores.to_parquet(out, index=False)
"""


def run_child(args: list[str]) -> tuple[float, float, str]:
    """Wall time (s), peak resident memory (MiB) and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if code != 0:
        raise RuntimeError(f"{args} failed ({code}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--whole-max", type=int, default=1_000_000)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--dask-memory",
        default="2GiB",
        help="memory limit per Dask worker (spills to disk above it); the default keeps the "
        "cluster under 4 GiB on a shared machine (Dask's own default is total RAM / workers)",
    )
    parser.add_argument("--generate", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument(
        "--data",
        metavar="FOLDER",
        help="keep the generated files in FOLDER and reuse them when they hold --rows rows "
        "(the 20M-row files take minutes to write)",
    )
    args = parser.parse_args()
    n = args.rows
    if args.generate:
        write_files(Path(args.generate), n)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run_all(args, Path(tmp), Path(args.data) if args.data else Path(tmp))


def _rows_in(pq_path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(pq_path).metadata.num_rows if pq_path.is_file() else -1


def run_all(args: argparse.Namespace, folder: Path, data: Path) -> None:
    """Every run, side by side, and the table of figures."""
    n = args.rows
    cli = [sys.executable, "-m", "past_outcomes.cli", "score"]
    csv_path, pq_path = data / "registry.csv", data / "registry.parquet"
    t0 = time.perf_counter()
    if _rows_in(pq_path) != n or not csv_path.is_file():
        data.mkdir(parents=True, exist_ok=True)
        # generated in a child: a forked child's peak RSS would count the parent's memory
        run_child([sys.executable, __file__, "--generate", str(data), "--rows", str(n)])
    print(f"{n:,} rows ready in {time.perf_counter() - t0:.1f} s "
          f"(CSV {csv_path.stat().st_size / 2**20:.0f} MiB, "
          f"Parquet {pq_path.stat().st_size / 2**20:.0f} MiB)")  # fmt: skip
    runs: dict[str, tuple[float, float]] = {}
    chunk = str(args.chunk_rows)
    out = {k: str(folder / k) for k in ("m1.pq", "s1.parquet", "m2.pq", "s2.parquet", "w.pq")}
    whole_rows = min(n, args.whole_max)
    for name, argv in (
        ("minimal csv", [sys.executable, "-c", MINIMAL, str(csv_path), out["m1.pq"], chunk]),
        ("stream csv", [*cli, str(csv_path), "-o", out["s1.parquet"], "--chunk-rows", chunk]),
        ("minimal parquet", [sys.executable, "-c", MINIMAL, str(pq_path), out["m2.pq"], chunk]),
        ("stream parquet", [*cli, str(pq_path), "-o", out["s2.parquet"], "--chunk-rows", chunk]),
        # the in-memory engine (po.score on one DataFrame) on the first --whole-max rows
        ("in-memory", [sys.executable, "-c", IN_MEMORY, str(pq_path), out["w.pq"],
                       str(whole_rows)]),
    ):  # fmt: skip
        runs[name] = run_child(argv)[:2]
        print(f"{name}: {runs[name][0]:.1f} s, peak {runs[name][1]:.0f} MiB", flush=True)
    dask_line = ""
    if not args.skip_dask:
        elapsed, rss, text = run_child(
            [sys.executable, "-c", DASK, str(pq_path), str(folder / "dask_out"), args.dask_memory]
        )
        score_s, summary_s, groups, score_mib, summary_mib, parts = text.split()
        runs["dask (2 workers)"] = (float(score_s), float(score_mib))
        dask_line = (
            f"dask: score+write {float(score_s):.1f} s ({parts} partitions), registry "
            f"summary {float(summary_s):.1f} s ({groups} site x year groups, worker peak "
            f"{float(summary_mib):.0f} MiB); child wall {elapsed:.1f} s incl. cluster "
            f"start; peak MiB: the larger worker's own peak RSS in each phase (the client "
            f"process and its workers together over both, os.wait4: {rss:.0f})"
        )
    print(f"\n{'run':<20}{'wall s':>9}{'rows/s':>12}{'peak MiB':>10}")
    for name, (elapsed, peak) in runs.items():
        rows = whole_rows if name == "in-memory" else n
        print(f"{name:<20}{elapsed:>9.1f}{rows / elapsed:>12,.0f}{peak:>10.0f}")
    if whole_rows < n:
        print(f"(in-memory: the first {whole_rows:,} rows, one DataFrame)")
    for name, floor in (("stream csv", "minimal csv"), ("stream parquet", "minimal parquet"),
                        ("dask (2 workers)", "minimal parquet")):  # fmt: skip
        if name in runs:
            ratio = runs[name][0] / runs[floor][0]
            print(f"{name} / {floor}: {ratio:.2f}x the time (target <= 1.5x)")
    if dask_line:
        print(dask_line)


if __name__ == "__main__":
    main()
