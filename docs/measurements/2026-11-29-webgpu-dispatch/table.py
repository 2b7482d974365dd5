"""Prints the before/after table of a before-after.sh's JSON records.

Usage: python3 table.py OUTDIR [BEFORE_LABEL [PROCEDURE]]

Reads OUTDIR/{case}-{before,after}-round{N}.json for the cases below that are there, every round
found. Without the optional arguments it prints this folder's table.md (the label "before
(8d78ec9)", procedure plain for the cost cases, REMUL for the N-body ones). With them (as
../2026-11-29-gradnorm-queued/ calls it) it also prints the readbacks, bind groups and buffers
created and readback waits of a training step.
"""
import json
import os
import sys

d = sys.argv[1]
before_label = sys.argv[2] if len(sys.argv) > 2 else "before (8d78ec9)"
procedure = sys.argv[3] if len(sys.argv) > 3 else None
readback_rows = len(sys.argv) > 2
READBACK_ROWS = ("readbacksPerPass", "bindGroupsPerPass", "buffersPerPass", "readWaitMs")
cases = [
    ("cost-transformer-tiny", "cost suite's Transformer, 12 blocks × 16, {p}, batch 1", "plain"),
    ("cost-gatr-tiny", "cost suite's GATr, 12 blocks × (2 mv + 8 s), {p}, batch 1", "plain"),
    ("transformer", "Transformer 3 × 64, {p}, N-body small, batch 8", "REMUL"),
    ("gatr", "GATr 3 blocks, {p}, N-body small, batch 8", "REMUL"),
]


def rounds(case):
    n = 0
    while os.path.exists(f"{d}/{case}-before-round{n + 1}.json"):
        n += 1
    return range(1, n + 1)


def runs(case, which, pass_, key):
    return [json.load(open(f"{d}/{case}-{which}-round{r}.json"))[pass_][key] for r in rounds(case)]


def fmt(xs, digits=1):
    return ", ".join(f"{x:,.{digits}f}" for x in xs)


print(f"| case | per pass | {before_label} | after |")
print("| --- | --- | ---: | ---: |")
for case, label, default_procedure in cases:
    if not rounds(case):
        continue
    label = label.format(p=procedure or default_procedure)
    rows = [
        ("train", "readbacksPerPass", "training step: readbacks", 2, False),
        ("train", "dispatchesPerPass", "dispatches", 1, False),
        ("train", "bindGroupsPerPass", "bind groups created", 1, False),
        ("train", "buffersPerPass", "new buffers", 1, False),
        ("train", "submitsPerPass", "submits", 1, False),
        ("train", "readWaitMs", "readback waits, ms", 1, True),
        ("train", "hostOutsideSubmitMs", "host time outside submits, ms", 1, True),
        ("train", "wallMs", "step wall on llvmpipe, ms", 0, True),
        ("infer", "dispatchesPerPass", "inference: dispatches", 0, False),
        ("infer", "hostOutsideSubmitMs", "host time outside submits, ms", 1, True),
    ]
    if not readback_rows:
        rows = [r for r in rows if r[1] not in READBACK_ROWS]
        rows[0] = ("train", "dispatchesPerPass", "training step: dispatches", 1, False)
    for i, (p, key, what, digits, all_runs) in enumerate(rows):
        b, a = runs(case, "before", p, key), runs(case, "after", p, key)
        cell = (lambda xs: fmt(xs, digits)) if all_runs else (lambda xs: f"{xs[0]:,.{digits}f}")
        print(f"| {label if i == 0 else ''} | {what} | {cell(b)} | {cell(a)} |")
