"""
Two copies of the same PyTorch loop at once against one alone (one thread each, OpenBLAS): how
much cases that share this machine's two cores slow each other down when nothing of ours runs.
Run: python3 torch-pairs.py KIND SECONDS (KIND: gemm, tr = 3 Transformer encoder layers x 64,
big = 2 x 384; a training step with Adam), alone and then two at once; see torch-pairs.txt.
"""
import os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS","1")
import torch
torch.set_num_threads(1); torch.set_num_interop_threads(1)
kind = sys.argv[1]; dur = float(sys.argv[2])
torch.manual_seed(0)
if kind == "gemm":
    a = torch.randn(256,256); b = torch.randn(256,256)
    def step(): torch.mm(a,b)
else:
    d, heads, layers = {"tr": (64, 4, 3), "big": (384, 8, 2)}[kind]
    model = torch.nn.Sequential(*[
        torch.nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
        for _ in range(layers)])
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(128, 4, d)
    def step():
        opt.zero_grad(); l = model(x).pow(2).mean(); l.backward(); opt.step(); l.item()
for _ in range(5): step()
n=0; t0=time.perf_counter()
while time.perf_counter()-t0 < dur:
    step(); n+=1
print(kind, f"{(time.perf_counter()-t0)/n*1e3:.3f} ms/step")
