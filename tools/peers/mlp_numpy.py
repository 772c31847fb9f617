"""The Examples' MLPs trained in NumPy with the labs' hand-derived backprop (docs/BENCHMARKS.md, "Side by side with the peers"): forward
X·Wᵀ + b and ReLU per layer, a stable softmax (max subtracted) and the mean cross-entropy, the backward written out by hand
(dZ = (softmax − onehot)/B at the output, dW = dZᵀ·A, db = Σ dZ, dA = dZ·W, the ReLU mask), plain SGD, float32,
shuffled mini-batches, Fashion-MNIST as x/255. Buffers are allocated once and the products write into them (out=),
so NumPy runs on its BLAS (OpenBLAS on Debian) with no per-step allocation of the big arrays.
Prints train samples/s (forward, backward and update only) per epoch and a final line.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/peers/mlp_numpy.py NETWORK BATCH EPOCHS THREADS [data dir] [lr]
(NETWORK: mlp1, mlp2, deep. apt-get install -y python3-numpy libopenblas0 dataset-fashion-mnist)
"""
import os, sys, time

network, batch, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
root = sys.argv[5] if len(sys.argv) > 5 else "/usr/share/datasets/fashion-mnist"
lr = float(sys.argv[6]) if len(sys.argv) > 6 else 0.05
# OpenBLAS reads its thread count when it is loaded, that is when numpy is imported.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = threads
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_mnist import NETWORKS, load

sizes = NETWORKS[network]
x, y, xt, yt = load(root)
rng = np.random.default_rng(1)
# PyTorch's default Linear initialization: U(−1/√in, 1/√in) for weights [out, in] and biases.
W = [rng.uniform(-1, 1, (o, i)).astype(np.float32) / np.float32(np.sqrt(i)) for i, o in zip(sizes, sizes[1:])]
b = [rng.uniform(-1, 1, o).astype(np.float32) / np.float32(np.sqrt(i)) for i, o in zip(sizes, sizes[1:])]
L = len(W)
lr = np.float32(lr)
A = [None] + [np.empty((batch, o), np.float32) for o in sizes[1:]]     # activations (A[0] is the batch)
dZ = [None] + [np.empty((batch, o), np.float32) for o in sizes[1:]]
dW = [np.empty_like(w) for w in W]
db = [np.empty_like(v) for v in b]
rows = np.arange(batch)


def forward(xb, out):
    out[0] = xb
    for l in range(L):
        np.matmul(out[l], W[l].T, out=out[l + 1])
        out[l + 1] += b[l]
        if l < L - 1:
            np.maximum(out[l + 1], 0, out=out[l + 1])
    return out[L]


def step(xb, yb):
    logits = forward(xb, A)
    # Softmax cross-entropy, stable: p = exp(z − max) / Σ; the loss is the mean of −log p[label].
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    loss = -np.log(z[rows, yb]).mean()
    g = dZ[L]
    np.copyto(g, z)
    g[rows, yb] -= 1
    g /= np.float32(batch)
    for l in range(L - 1, -1, -1):
        np.matmul(dZ[l + 1].T, A[l], out=dW[l])
        np.sum(dZ[l + 1], axis=0, out=db[l])
        if l > 0:
            np.matmul(dZ[l + 1], W[l], out=dZ[l])
            dZ[l][A[l] <= 0] = 0            # ReLU backward: the mask of the forward's output
    for l in range(L):
        W[l] -= lr * dW[l]
        b[l] -= lr * db[l]
    return loss


def accuracy():
    correct, out = 0, [None] + [np.empty((1000, o), np.float32) for o in sizes[1:]]
    for i in range(0, len(xt) - 999, 1000):
        correct += int((forward(xt[i:i + 1000], out).argmax(1) == yt[i:i + 1000]).sum())
    return correct / len(xt)


trained, seconds = 0, 0.0
shuffle = np.random.default_rng(2)
for epoch in range(1, epochs + 1):
    perm = shuffle.permutation(len(x))
    epoch_trained, epoch_seconds = 0, 0.0
    for i in range(0, len(x) - batch + 1, batch):
        idx = perm[i:i + batch]
        xb, yb = x[idx], y[idx]
        start = time.perf_counter()
        step(xb, yb)
        epoch_seconds += time.perf_counter() - start
        epoch_trained += batch
    trained, seconds = trained + epoch_trained, seconds + epoch_seconds
    print(f"epoch {epoch}  test_accuracy {accuracy():.4f}  train_samples_per_s {epoch_trained / epoch_seconds:.0f}", flush=True)
print(f"final model={network}-numpy train_samples_per_s={trained / seconds:.0f} epochs={epochs} batch={batch} threads={threads}")
