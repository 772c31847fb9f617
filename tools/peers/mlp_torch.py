"""The Examples' MLPs (mlp1 784→10, mlp2 784→196 ReLU→10, deep 784→500→200→100→30→30→30→10 ReLU) in PyTorch, for the
side-by-side table of docs/BENCHMARKS.md: nn.Linear layers with their default initialization, CrossEntropyLoss, plain
SGD, float32, shuffled mini-batches, Fashion-MNIST as x/255. Prints train samples/s (forward, backward and update
only) per epoch and a final line.

    OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=1 /usr/bin/python3 tools/peers/mlp_torch.py NETWORK BATCH EPOCHS THREADS [data dir] [lr]
(Debian's python3-torch 1.13: apt-get install -y python3-torch libopenblas0 dataset-fashion-mnist)
"""
import os, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_mnist import NETWORKS, load

network, batch, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
root = sys.argv[5] if len(sys.argv) > 5 else "/usr/share/datasets/fashion-mnist"
lr = float(sys.argv[6]) if len(sys.argv) > 6 else 0.05
torch.set_num_threads(threads)
x, y, xt, yt = (torch.from_numpy(a) for a in load(root))
torch.manual_seed(1)
sizes = NETWORKS[network]
layers = []
for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
    layers.append(torch.nn.Linear(n_in, n_out))
    if i < len(sizes) - 2:
        layers.append(torch.nn.ReLU())
model = torch.nn.Sequential(*layers)
opt = torch.optim.SGD(model.parameters(), lr=lr)
loss_fn = torch.nn.CrossEntropyLoss()
trained, seconds = 0, 0.0
for epoch in range(1, epochs + 1):
    perm = torch.randperm(len(x))
    epoch_trained, epoch_seconds = 0, 0.0
    for i in range(0, len(x) - batch + 1, batch):
        xb, yb = x[perm[i:i + batch]], y[perm[i:i + batch]]
        start = time.perf_counter()
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        epoch_seconds += time.perf_counter() - start
        epoch_trained += batch
    trained, seconds = trained + epoch_trained, seconds + epoch_seconds
    with torch.no_grad():
        acc = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item() for i in range(0, len(xt), 1000)) / len(xt)
    print(f"epoch {epoch}  test_accuracy {acc:.4f}  train_samples_per_s {epoch_trained / epoch_seconds:.0f}", flush=True)
print(f"final model={network}-torch train_samples_per_s={trained / seconds:.0f} epochs={epochs} batch={batch} threads={threads}")
