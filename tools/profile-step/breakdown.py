"""Where a profiled training step's instructions go, from a callgrind output file of ProfileStep (docs/BENCHMARKS.md,
"Where a step's instructions go"). Reads callgrind_annotate's per-function exclusive and inclusive counts and splits
MeasuredStep's total into disjoint parts:

  GEMM micro-kernels  exclusive cost of the kernel families that do the multiply-adds (MicroKernels, EdgeKernels,
                      BroadcastTiles and its R<n> row specializations, DotTiles, Gemv, Masked)
  GEMM packing        inclusive cost of Packing.Pack* (the copies into the packed panels, with their zero padding)
  GEMM driver         the rest of Gemm.Multiply (blocking loops, dispatch, C tiles)
  loss                CrossEntropy's op and node (log-softmax, NLL and its backward), inclusive
  activations         ReLU's op and node, inclusive
  bias gradients      RowKernels.ColumnSums, inclusive
  optimizer           Optimizer.Step (the SGD update) and ZeroGrad, inclusive
  tape and the rest   everything else: nodes, the backward walk, the pool, scopes, shape checks, other passes

    callgrind_annotate --inclusive=yes --threshold=100 OUT > incl.txt
    callgrind_annotate --inclusive=no --threshold=100 OUT > excl.txt
    python3 tools/profile-step/breakdown.py incl.txt excl.txt STEPS
"""
import re, sys

LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:\S*?:)?(.+?)(?: \[.*\])?$")


def costs(path):
    table = {}
    for line in open(path):
        m = LINE.match(line)
        if m and "PROGRAM TOTALS" not in line:
            table[m.group(2)] = table.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    return table


def total(table, pattern):
    rx = re.compile(pattern)
    return sum(v for k, v in table.items() if rx.search(k))


incl, excl, steps = costs(sys.argv[1]), costs(sys.argv[2]), int(sys.argv[3])
step = total(incl, r"__MeasuredStep_")
gemm = total(incl, r"Kernels_Gemm__Multiply<")
compute = total(excl, r"Kernels_(MicroKernels|EdgeKernels|BroadcastTiles|R\d+|DotTiles|Gemv|Masked)_")
packing = total(incl, r"Kernels_Packing__Pack")
parts = [
    ("GEMM micro-kernels", compute),
    ("GEMM packing", packing),
    ("GEMM driver", gemm - compute - packing),
    ("loss (cross-entropy, forward and backward)", total(incl, r"Ops__CrossEntropy<|CrossEntropyNode_1<[^>]*>__")),
    ("activations (ReLU, forward and backward)", total(incl, r"Ops__Relu<|ReluNode_1<[^>]*>__")),
    ("bias gradients (column sums)", total(incl, r"RowKernels__ColumnSums<")),
    ("optimizer (SGD update and ZeroGrad)", total(incl, r"Optimizer_1<[^>]*>__(Step|ZeroGrad)$")),
]
parts.append(("tape and the rest", step - sum(v for _, v in parts)))
print(f"| part | instructions per step | share |")
print(f"|-|-:|-:|")
for name, value in parts:
    print(f"| {name} | {value / steps:,.0f} | {100 * value / step:.1f} % |")
print(f"| step | {step / steps:,.0f} | 100 % |")
