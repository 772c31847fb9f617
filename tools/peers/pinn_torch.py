"""The pinn example's problem in PyTorch, for a side-by-side timing: u'' = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0,
a tanh MLP 1-32-32-1 in float64, Adam lr 1e-3, 64 collocation points (both ends included), u'' by double backward.
Prints the same final line as `dotnet run --project Examples -c Release -- pinn`.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/peers/pinn_torch.py [steps] [threads]
(Debian's python3-torch 1.13: apt-get install -y python3-torch)
"""
import math, sys, time
import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
torch.manual_seed(1)
dtype = torch.float64
model = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
                            torch.nn.Linear(32, 1)).to(dtype)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.linspace(0, 1, 64, dtype=dtype).reshape(-1, 1).requires_grad_(True)
source = math.pi ** 2 * torch.sin(math.pi * x.detach())
boundary = torch.tensor([[0.0], [1.0]], dtype=dtype)
ones = torch.ones_like(x)

def max_abs_error():
    grid = torch.linspace(0, 1, 1000, dtype=dtype).reshape(-1, 1)
    with torch.no_grad():
        return (model(grid) - torch.sin(math.pi * grid)).abs().max().item()

start = time.perf_counter()
for step in range(1, steps + 1):
    u = model(x)
    du, = torch.autograd.grad(u, x, ones, create_graph=True)
    d2u, = torch.autograd.grad(du, x, ones, create_graph=True)
    loss = (d2u + source).pow(2).mean() + model(boundary).pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 1000 == 0:
        print(f"step {step:6d}  loss {loss.item():.3e}  max_abs_error {max_abs_error():.3e}  {time.perf_counter() - start:.1f} s")
seconds = time.perf_counter() - start
print(f"final model=pinn-torch max_abs_error={max_abs_error():.3e} steps={steps} train_seconds={seconds:.2f}")
