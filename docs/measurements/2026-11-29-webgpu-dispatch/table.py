"""Prints the before/after table of before-after.sh's JSON records: python3 table.py OUTDIR"""
import json
import sys

d = sys.argv[1]
cases = [
    ("cost-transformer-tiny", "cost suite's Transformer, 12 blocks × 16, plain, batch 1"),
    ("cost-gatr-tiny", "cost suite's GATr, 12 blocks × (2 mv + 8 s), plain, batch 1"),
    ("transformer", "Transformer 3 × 64, REMUL, N-body small, batch 8"),
    ("gatr", "GATr 3 blocks, REMUL, N-body small, batch 8"),
]


def runs(case, which, pass_, key):
    return [json.load(open(f"{d}/{case}-{which}-round{r}.json"))[pass_][key] for r in (1, 2, 3)]


def fmt(xs, digits=1):
    return ", ".join(f"{x:,.{digits}f}" for x in xs)


print("| case | per pass | before (8d78ec9) | after |")
print("| --- | --- | ---: | ---: |")
for case, label in cases:
    rows = [
        ("train", "dispatchesPerPass", "training step: dispatches", 1, False),
        ("train", "submitsPerPass", "submits", 1, False),
        ("train", "hostOutsideSubmitMs", "host time outside submits, ms", 1, True),
        ("train", "wallMs", "step wall on llvmpipe, ms", 0, True),
        ("infer", "dispatchesPerPass", "inference: dispatches", 0, False),
        ("infer", "hostOutsideSubmitMs", "host time outside submits, ms", 1, True),
    ]
    for i, (p, key, what, digits, all_runs) in enumerate(rows):
        b, a = runs(case, "before", p, key), runs(case, "after", p, key)
        cell = (lambda xs: fmt(xs, digits)) if all_runs else (lambda xs: f"{xs[0]:,.{digits}f}")
        print(f"| {label if i == 0 else ''} | {what} | {cell(b)} | {cell(a)} |")
