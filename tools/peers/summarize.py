"""The table of tools/peers/run-table.sh from its results.tsv: the median of the runs of each (row, system), the peak RSS
of the mlp2 runs, ours / best peer, and our GFLOP/s from the exact multiply-adds of a step (as the GFLOP/s column of
Autograd.Benchmarks counts them).

    /usr/bin/python3 tools/peers/summarize.py BenchmarkDotNet.Artifacts/peers/results.tsv
"""
import csv, statistics, sys
from fashion_mnist import NETWORKS

SYSTEMS = [("ours", "ours"), ("torch", "PyTorch 1.13"), ("torchsharp", "TorchSharp 0.107"), ("numpy", "NumPy, hand-derived")]
LABELS = {"mlp1": "mlp1 @64, 1 thread", "mlp2": "mlp2 @64, 1 thread", "deep": "deep @64, 1 thread",
          "deep@1000": "deep @1000, 1 thread", "deep@1000x2": "deep @1000, 2 threads",
          "cnn": "cnn @64, 1 thread", "pinn": "pinn, 64 points, 1 thread (steps/s)"}
# Flops of one training sample: each layer's product forward, for its weight gradient and, but for the first layer,
# for its input gradient. cnn: docs/BENCHMARKS.md, "The step's arithmetic"; pinn: per step (StepCase.PinnMultiplyAdds).
def mlp_flops(sizes):
    products = [i * o for i, o in zip(sizes, sizes[1:])]
    return 2 * (2 * products[0] + 3 * sum(products[1:]))
FLOPS = {row: mlp_flops(NETWORKS[row.split("@")[0]]) for row in LABELS if row.split("@")[0] in NETWORKS}
FLOPS["cnn"] = 2 * 12_497_664
FLOPS["pinn"] = 1_634_944

values, rss = {}, {}
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        if r["value"]:
            values.setdefault((r["row"], r["system"]), []).append(float(r["value"]))
        if r["row"] == "mlp2" and r["rss_kb"]:
            rss.setdefault(r["system"], []).append(int(r["rss_kb"]) / 1024)

present = [(s, name) for s, name in SYSTEMS if any(k[1] == s for k in values)]
print("| case | " + " | ".join(name for _, name in present) + " | ours / best peer | ours, GFLOP/s |")
print("|-" * (len(present) + 3) + "|")
for row, label in LABELS.items():
    medians = {s: statistics.median(values[(row, s)]) for s, _ in present if (row, s) in values}
    if not medians:
        continue
    peers = [v for s, v in medians.items() if s != "ours"]
    ratio = f"{medians['ours'] / max(peers):.2f}" if "ours" in medians and peers else ""
    gflops = f"{medians['ours'] * FLOPS[row] / 1e9:.1f}" if "ours" in medians else ""
    cells = [f"{medians[s]:,.0f}" if s in medians and row != "pinn" else f"{medians[s]:,.1f}" if s in medians else "—" for s, _ in present]
    print(f"| {label} | " + " | ".join(cells) + f" | {ratio} | {gflops} |")
if rss:
    print("| peak RSS, whole run (mlp2), MB | " + " | ".join(f"{statistics.median(rss[s]):,.0f}" if s in rss else "—" for s, _ in present) + " | | |")
runs = max((len(v) for v in values.values()), default=0)
print(f"\n(medians of {runs} runs per cell; samples/s of training steps unless noted)")
