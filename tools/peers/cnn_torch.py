"""The Examples' `train --model cnn` network in PyTorch, for a side-by-side throughput figure: conv3x3(1->32, pad 1)
ReLU maxpool2, conv3x3(32->64, pad 1) ReLU maxpool2, flatten 3136, linear 128 ReLU, linear 10; SGD with momentum 0.9,
batch 64, float32, on Fashion-MNIST (x/255). Prints train samples/s (forward, backward, update only) per epoch and a
final line over all epochs.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/peers/cnn_torch.py [epochs] [threads] [data dir] [lr]
(Debian's python3-torch 1.13: apt-get install -y python3-torch dataset-fashion-mnist)
"""
import os, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_mnist import load

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
root = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
lr = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05

x, y, xt, yt = (torch.from_numpy(a) for a in load(root))
x, xt = x.reshape(-1, 1, 28, 28), xt.reshape(-1, 1, 28, 28)
torch.manual_seed(1)
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
loss_fn = torch.nn.CrossEntropyLoss()
total_trained, total_seconds = 0, 0.0
for epoch in range(1, epochs + 1):
    perm = torch.randperm(len(x))
    trained, seconds = 0, 0.0
    model.train()
    for i in range(0, len(x) - 63, 64):
        xb, yb = x[perm[i:i + 64]], y[perm[i:i + 64]]
        start = time.perf_counter()
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        seconds += time.perf_counter() - start
        trained += 64
    model.eval()
    with torch.no_grad():
        acc = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item() for i in range(0, len(xt), 1000)) / len(xt)
    print(f"epoch {epoch}  test_accuracy {acc:.4f}  train_samples_per_s {trained / seconds:.0f}", flush=True)
    total_trained, total_seconds = total_trained + trained, total_seconds + seconds
print(f"final model=cnn-torch train_samples_per_s={total_trained / total_seconds:.0f} epochs={epochs}")
