#!/usr/bin/env bash
# Our side and the peers' side of every row of issue #15's table, interleaved, medians of the runs
# (docs/BENCHMARKS.md, "Side by side with the peers"):
#   mlp1, mlp2, deep at batch 64 and deep at batch 1000 on one thread, deep at batch 1000 on two threads, the peak RSS
#   of the mlp2 runs, the cnn at batch 64 and the pinn example, all one thread but the one row.
# Systems: ours (the Examples app, release build), PyTorch (Debian's python3-torch), NumPy with hand-derived backprop,
# TorchSharp (tools/peers/torchsharp); a peer that is not installed or does not load is reported and left out.
# Fashion-MNIST, plain SGD lr 0.05 for the MLPs (the cnn: SGD + momentum 0.9, as its recipe), train samples/s of the
# forward, backward and update only; the pinn row is steps/s.
#
#   tools/peers/run-table.sh [--epochs 3] [--runs 3] [--pinn-steps 8000] [--rows mlp1,deep@1000x2,...] [--out DIR]
# Rows: mlp1 mlp2 deep deep@1000 deep@1000x2 cnn pinn (the RSS row comes with mlp2). Writes DIR/results.tsv (one line
# per run), DIR/logs/ and DIR/table.md (default DIR: BenchmarkDotNet.Artifacts/peers, git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

epochs=3 runs=3 pinn_steps=8000 rows="mlp1,mlp2,deep,deep@1000,deep@1000x2,cnn,pinn" out=BenchmarkDotNet.Artifacts/peers
data=/usr/share/datasets/fashion-mnist python=/usr/bin/python3
while [ $# -gt 0 ]; do
    case "$1" in
        --epochs) epochs=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --pinn-steps) pinn_steps=$2; shift 2 ;;
        --rows) rows=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        *) echo "run-table.sh: unknown option '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
    esac
done
[ -d "$data" ] || { echo "run-table.sh: no data set at $data (apt-get install -y dataset-fashion-mnist)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run-table.sh: /usr/bin/time is needed for the peak RSS (apt-get install -y time)" >&2; exit 1; }

# OpenBLAS (NumPy's and Debian's PyTorch's BLAS) picks SSE3 kernels on CPUs it does not know unless told its core type.
if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; else export OPENBLAS_CORETYPE=Haswell; fi
if ! ldconfig -p | grep -q libopenblas.so.0; then
    echo "run-table.sh: warning: libopenblas0 is not installed; NumPy and PyTorch run on the reference BLAS (apt-get install -y libopenblas0)" >&2
fi

mkdir -p "$out/logs"
results="$out/results.tsv"
printf 'row\tsystem\trun\tvalue\tunit\trss_kb\n' > "$results"

echo "building the Examples (Release) ..."
dotnet build Examples -c Release -v quiet -nologo >/dev/null
ours=(dotnet "$repo/Examples/bin/Release/net10.0/Examples.dll")

systems=(ours)
if "$python" -c 'import torch' 2>/dev/null; then systems+=(torch); else echo "run-table.sh: PyTorch: not installed (apt-get install -y python3-torch); left out" >&2; fi
if "$python" -c 'import numpy' 2>/dev/null; then systems+=(numpy); else echo "run-table.sh: NumPy: not installed (apt-get install -y python3-numpy); left out" >&2; fi
torchsharp=(dotnet "$repo/tools/peers/torchsharp/bin/Release/net10.0/TorchSharpPeer.dll")
# LibTorchSharp is built with GCC 13; fit-libstdcxx.sh lets it load on an older libstdc++ (Debian 12's), see the script.
if dotnet build tools/peers/torchsharp -c Release -v quiet -nologo >/dev/null 2>&1 && tools/peers/torchsharp/fit-libstdcxx.sh >&2 \
    && probe=$("${torchsharp[@]}" --probe 2>&1); then
    echo "$probe"; systems+=(torchsharp)
else
    # TorchSharp's own message names a missing package even when the library is there but cannot be loaded: ask ldd.
    why=$(ldd tools/peers/torchsharp/bin/Release/net10.0/runtimes/linux-x64/native/libLibTorchSharp.so 2>&1 | grep -m1 'not found' | sed 's/^[[:space:]]*//' || true)
    echo "run-table.sh: TorchSharp: LibTorch did not restore or load here; left out (${why:-see: dotnet run -c Release --project tools/peers/torchsharp -- --probe})" >&2
fi
echo "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE; systems: ${systems[*]}; rows: $rows; $epochs epochs, $runs runs"

# The command of (row, system), or nothing when that system has no such row.
command_for() {
    local row=$1 system=$2 network batch threads
    case "$row" in
        cnn) case "$system" in
                 ours) echo "${ours[*]} train --model cnn --threads 1 --epochs $epochs --data $data" ;;
                 torch) echo "$python tools/peers/cnn_torch.py $epochs 1 $data" ;;
             esac; return ;;
        pinn) case "$system" in
                  ours) echo "${ours[*]} pinn --steps $pinn_steps --threads 1" ;;
                  torch) echo "$python tools/peers/pinn_torch.py $pinn_steps 1" ;;
              esac; return ;;
    esac
    network=${row%%@*}; batch=64; threads=1
    [[ $row == *@* ]] && { batch=${row#*@}; batch=${batch%x*}; }
    [[ $row == *x* ]] && threads=${row##*x}
    case "$system" in
        ours) echo "${ours[*]} train --model $network --optimizer sgd --lr 0.05 --batch $batch --threads $threads --epochs $epochs --data $data" ;;
        torch) echo "$python tools/peers/mlp_torch.py $network $batch $epochs $threads $data" ;;
        numpy) echo "$python tools/peers/mlp_numpy.py $network $batch $epochs $threads $data" ;;
        torchsharp) echo "${torchsharp[*]} $network $batch $epochs $threads $data" ;;
    esac
}

threads_of() { [[ $1 == *x* ]] && echo "${1##*x}" || echo 1; }

for run in $(seq 1 "$runs"); do
    for row in ${rows//,/ }; do
        for system in "${systems[@]}"; do
            cmd=$(command_for "$row" "$system")
            [ -n "$cmd" ] || continue
            log="$out/logs/$row.$system.$run.log"
            n=$(threads_of "$row")
            echo "run $run  $row  $system: $cmd"
            if ! OMP_NUM_THREADS=$n OPENBLAS_NUM_THREADS=$n MKL_NUM_THREADS=$n /usr/bin/time -f 'peak_rss_kb=%M' -o "$log.time" $cmd > "$log" 2>&1; then
                echo "run-table.sh: $row $system failed; see $log" >&2; continue
            fi
            final=$(grep '^final ' "$log" | tail -n 1)
            rss=$(sed -n 's/^peak_rss_kb=//p' "$log.time")
            if [ "$row" = pinn ]; then
                seconds=$(printf '%s\n' "$final" | sed -n 's/.*train_seconds=\([0-9.]*\).*/\1/p')
                value=$(awk -v s="$pinn_steps" -v t="$seconds" 'BEGIN { printf "%.1f", s / t }'); unit=steps/s
            else
                # Steady state: the median of the per-epoch rates from epoch 2 on, for every system alike, so that
                # the first epoch's one-off costs (our JIT compiling each method, the peers' first-call set-up) are
                # not what is compared; with a single epoch, the run's own figure.
                value=$(awk '/^epoch / && $2 + 0 >= 2 { for (i = 1; i < NF; i++) if ($i == "samples/s" || $i == "train_samples_per_s") print $(i + 1) + 0 }' "$log" |
                        sort -n | awk '{ r[NR] = $1 } END { if (NR) printf "%d", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
                [ -n "$value" ] || value=$(printf '%s\n' "$final" | sed -n 's/.*train_samples_per_s=\([0-9]*\).*/\1/p')
                unit=samples/s
            fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$system" "$run" "$value" "$unit" "$rss" >> "$results"
            echo "    $value $unit, peak RSS $((rss / 1024)) MB"
        done
    done
done

"$python" tools/peers/summarize.py "$results" | tee "$out/table.md"
