#!/usr/bin/env python3
"""PyTorch twins of remul-bench's models, and the PyTorch side of `deno task peer`.

Written from the TypeScript definitions in src/models/ (transformer.ts, nn.ts, gnn.ts, egnn.ts,
egnn_layer.ts, mlp.ts, _graph.ts): same layers, same parameter shapes in the same order, weights
stored as `[in, out]` like ours, so our initial weights load here one tensor at a time and the two
sides can be checked to compute the same forward output before anything is timed.

Protocol (driven by src/peer/torch_peer.ts): the process starts with `--threads N`, sets
torch.set_num_threads(N) before any tensor work and prints one JSON line describing itself. Then
it answers requests until stdin closes. A request is one JSON line, followed by `payloadBytes`
bytes of little-endian float32 arrays that the line describes (`arrays`: name, offset in floats,
shape). Every answer is one JSON line on stdout; progress goes to stderr.

- op "load": build the model from `model`, `config`, `inputs`, `target`, `edges`; report its
  parameter count; keep the training split (`train/<field>`, `train/target`) and the test batch
  (`test/<field>`); load `probe/<i>` (a second weight set, if sent) and return the prediction on
  the test batch, then load `weights/<i>` (our initial parameters, in order, shape-checked) and
  return the prediction again. The model keeps the initial weights for timing.
- op "time": time `1 + warmup + repeats` training steps with α=1, β=0 (plain) and then with
  α=1, β=1 (REMUL: the batch and a rotated copy in one forward pass of 2B), each with a fresh Adam
  (lr, eps 1e-7 as tfjs) and global-norm gradient clipping, exactly as src/training/train.ts steps;
  then `inferenceWarmup + inferenceRepeats` forward passes of the test batch under no_grad.
  Returns the raw wall times in ms; the caller summarises them with the harness's own code.
"""

import argparse
import json
import math
import re
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, required=True)
    return ap.parse_args()


ARGS = parse_args()

import torch  # noqa: E402  (after argument parsing so --help works without torch)
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(ARGS.threads)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass  # already set by the embedding process
torch.set_default_dtype(torch.float32)


def log(msg):
    print(f"torch_peer: {msg}", file=sys.stderr, flush=True)


# --- layers (mirror src/models/nn.ts and _graph.ts) -----------------------------------------


def dense(x, w, b=None):
    """Dense map on the last axis with a weight [in, out] (our layout), bias [out]."""
    lead = x.shape[:-1]
    x2 = x.reshape(-1, w.shape[0])
    y = torch.addmm(b, x2, w) if b is not None else x2 @ w
    return y.reshape(*lead, w.shape[1])


def layer_norm(x):
    """Layer norm on the last axis without affine parameters, eps 1e-5 (biased variance)."""
    return F.layer_norm(x, (x.shape[-1],), eps=1e-5)


def gelu(x):
    return F.gelu(x, approximate="tanh")


def self_attention(x, qkv, out, heads):
    """Multi-head self-attention with fused QKV, no mask, no positional encoding. x [B, N, C]."""
    b, n, c = x.shape
    d = c // heads
    q, k, v = dense(x, *qkv).reshape(b, n, 3, heads, d).permute(2, 0, 3, 1, 4).unbind(0)
    scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d))  # [B, H, N, N]
    o = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, n, c)  # [B, N, C]
    return dense(o, *out)


def dense_graph(n, edges):
    """Mask [1, N, N, 1] (mask[dst, src] = 1) and degree [1, N, 1] (at least 1)."""
    mask = torch.zeros(n, n)
    if edges is None:
        mask.fill_(1.0)
        mask.fill_diagonal_(0.0)
    else:
        for src, dst in edges:
            mask[dst, src] = 1.0
    degree = mask.sum(1).clamp(min=1.0)
    return mask.reshape(1, n, n, 1), degree.reshape(1, n, 1)


def pair_products(s):
    """s [B, N, 1] -> [B, N, N, 1], s_i * s_j."""
    return s.unsqueeze(2) * s.unsqueeze(1)


def pair_differences(x):
    """x [B, N, 3] -> [B, N, N, 3], x_i - x_j."""
    return x.unsqueeze(2) - x.unsqueeze(1)


def js_round(v):
    """JavaScript's Math.round (halves go up), not Python's banker's rounding."""
    return math.floor(v + 0.5)


class Params:
    """Creates parameters in our creation order, PyTorch's default init (uniform ±1/sqrt(fan in))."""

    def __init__(self):
        self.items = []

    def uniform(self, shape, bound):
        p = torch.nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))
        self.items.append(p)
        return p

    def dense(self, fan_in, fan_out, bias=True):
        bound = 1.0 / math.sqrt(fan_in)
        w = self.uniform((fan_in, fan_out), bound)
        return (w, self.uniform((fan_out,), bound)) if bias else (w, None)


class PeerModel(torch.nn.Module):
    """Base: the parameters live in one ParameterList, in our order."""

    def finish(self, params):
        self.plist = torch.nn.ParameterList(params.items)


def field_size(spec):
    return math.prod(spec["shape"])


# --- models ----------------------------------------------------------------------------------


class Transformer(PeerModel):
    """src/models/transformer.ts: linear embed, pre-LN blocks, linear head."""

    def __init__(self, cfg, inputs, target, edges):
        super().__init__()
        c, heads = cfg["channels"], cfg["heads"]
        if c % heads:
            raise ValueError(f"transformer: channels ({c}) must be divisible by heads ({heads})")
        self.names = [f["name"] for f in inputs]
        self.heads = heads
        in_dim = sum(f["shape"][1] for f in inputs)
        out_dim = target["shape"][-1]
        hidden = js_round(c * cfg["mlpRatio"])
        p = Params()
        self.embed = p.dense(in_dim, c)
        self.layers = []
        for _ in range(cfg["blocks"]):
            self.layers.append((p.dense(c, 3 * c), p.dense(c, c), p.dense(c, hidden), p.dense(hidden, c)))
        self.head = p.dense(c, out_dim)
        self.finish(p)

    def forward(self, fields):
        x = dense(torch.cat([fields[n] for n in self.names], -1), *self.embed)  # [B, N, C]
        for qkv, out, mlp1, mlp2 in self.layers:
            x = x + self_attention(layer_norm(x), qkv, out, self.heads)
            x = x + dense(gelu(dense(layer_norm(x), *mlp1)), *mlp2)
        return dense(x, *self.head)  # [B, N, 3]


class Gnn(PeerModel):
    """src/models/gnn.ts: embed, GCL layers with sum aggregation and residual, 2-layer decoder."""

    def __init__(self, cfg, inputs, target, edges):
        super().__init__()
        h = cfg["hidden"]
        n = inputs[0]["shape"][0]
        self.names = [f["name"] for f in inputs]
        self.h = h
        self.n = n
        scalars = [f for f in inputs if f["kind"] == "scalar"]
        self.scalar = scalars[0]["name"] if scalars else None
        attrs = 1 if self.scalar else 0
        in_dim = sum(f["shape"][1] for f in inputs)
        p = Params()
        self.embed = p.dense(in_dim, h)
        self.layers = []
        for _ in range(cfg["layers"]):
            bound = 1.0 / math.sqrt(2 * h + attrs)
            receiver = p.uniform((h, h), bound)
            sender = p.uniform((h, h), bound)
            attr = p.uniform((attrs, h), bound) if attrs else None
            bias = p.uniform((h,), bound)
            self.layers.append({
                "receiver": receiver, "sender": sender, "attr": attr, "bias": bias,
                "edge2": p.dense(h, h), "node1": p.dense(2 * h, h), "node2": p.dense(h, h),
            })
        self.dec1 = p.dense(h, h)
        self.dec2 = p.dense(h, target["shape"][1])
        self.finish(p)
        mask, _ = dense_graph(n, edges)
        self.register_buffer("mask", mask)

    def forward(self, fields):
        x = torch.cat([fields[k] for k in self.names], -1)  # [B, N, in]
        b, n, h = x.shape[0], self.n, self.h
        attr = pair_products(fields[self.scalar][..., 0:1]) if self.scalar else None  # [B,N,N,1]
        hid = dense(x, *self.embed)  # [B, N, H]
        for L in self.layers:
            flat = hid.reshape(b * n, h)
            recv = (flat @ L["receiver"]).reshape(b, n, 1, h)
            send = (flat @ L["sender"]).reshape(b, 1, n, h)
            pre = recv + send + L["bias"]  # [B, N, N, H]
            if attr is not None:
                pre = pre + dense(attr, L["attr"])
            m = F.silu(dense(F.silu(pre), *L["edge2"]))
            agg = (m * self.mask).sum(2)  # [B, N, H]
            hid = hid + dense(F.silu(dense(torch.cat([hid, agg], -1), *L["node1"])), *L["node2"])
        return dense(F.silu(dense(hid, *self.dec1)), *self.dec2)


class Egnn(PeerModel):
    """src/models/egnn.ts + egnn_layer.ts: EGNN with velocities (E_GCL_vel), dense pairs."""

    def __init__(self, cfg, inputs, target, edges):
        super().__init__()
        h = cfg["hidden"]
        layers = cfg["layers"]
        positions = [f for f in inputs if f["kind"] == "position"]
        vectors = [f for f in inputs if f["kind"] == "vector"]
        if len(positions) != 1 or len(vectors) > 1:
            raise ValueError("egnn: needs one position field and at most one vector field")
        self.pos = positions[0]["name"]
        self.vel = vectors[0]["name"] if vectors else None
        self.scalars = [f["name"] for f in inputs if f["kind"] == "scalar"]
        scalar_dim = sum(f["shape"][1] for f in inputs if f["kind"] == "scalar")
        self.vel_norm = self.vel is not None and (cfg["velocityNorm"] or not self.scalars)
        in_dim = scalar_dim + (1 if self.vel_norm else 0)
        self.product = bool(self.scalars)
        self.distance = bool(cfg["inputDistance"])
        attrs = (1 if self.product else 0) + (1 if self.distance else 0)
        self.h = h
        n = positions[0]["shape"][0]
        p = Params()
        self.embed = p.dense(max(in_dim, 1), h)
        self.layers = []
        for l in range(layers):
            bound = 1.0 / math.sqrt(2 * h + 1 + attrs)
            L = {
                "receiver": p.uniform((h, h), bound),
                "sender": p.uniform((h, h), bound),
                "distance": p.uniform((1, h), bound),
                "attr": p.uniform((attrs, h), bound) if attrs else None,
                "bias": p.uniform((h,), bound),
            }
            L["edge2"] = p.dense(h, h)
            L["coord1"] = p.dense(h, h)
            L["coord2"] = p.uniform((h, 1), 0.001 * math.sqrt(6.0 / (h + 1)))
            L["vel"] = (p.dense(h, h), p.dense(h, 1)) if self.vel else None
            L["node"] = (p.dense(2 * h, h), p.dense(h, h)) if l < layers - 1 else None
            self.layers.append(L)
        self.finish(p)
        mask, degree = dense_graph(n, edges)
        self.register_buffer("mask", mask)
        self.register_buffer("degree", degree)

    def forward(self, fields):
        x0 = fields[self.pos]  # [B, N, 3]
        b, n = x0.shape[0], x0.shape[1]
        vel = fields[self.vel] if self.vel else None
        feats = [fields[s] for s in self.scalars]
        if self.vel_norm:
            feats.append(vel.square().sum(-1, keepdim=True).sqrt())  # |v_i|
        h0 = torch.cat(feats, -1) if feats else torch.ones(b, n, 1)
        attrs = []
        if self.product:
            attrs.append(pair_products(feats[0][..., 0:1]))
        if self.distance:
            attrs.append(pair_differences(x0).square().sum(-1, keepdim=True))
        edge_attr = torch.cat(attrs, -1) if attrs else None  # [B, N, N, A]
        h = dense(h0, *self.embed)
        x = x0
        hid = self.h
        for L in self.layers:
            flat = h.reshape(b * n, hid)
            recv = (flat @ L["receiver"]).reshape(b, n, 1, hid)
            send = (flat @ L["sender"]).reshape(b, 1, n, hid)
            diff = pair_differences(x)  # [B, N, N, 3]
            radial = diff.square().sum(-1, keepdim=True)  # [B, N, N, 1]
            pre = recv + send + radial * L["distance"].reshape(hid) + L["bias"]
            if L["attr"] is not None:
                pre = pre + dense(edge_attr, L["attr"])
            m = F.silu(dense(F.silu(pre), *L["edge2"]))  # messages [B, N, N, H]
            weight = dense(F.silu(dense(m, *L["coord1"])), L["coord2"])  # [B, N, N, 1]
            trans = torch.clamp(diff * weight, -100.0, 100.0)
            x_new = x + (trans * self.mask).sum(2) / self.degree
            if L["vel"] is not None:
                v1, v2 = L["vel"]
                x_new = x_new + dense(F.silu(dense(h, *v1)), *v2) * vel
            if L["node"] is not None:
                n1, n2 = L["node"]
                agg = (m * self.mask).sum(2)
                h = h + dense(F.silu(dense(torch.cat([h, agg], -1), *n1)), *n2)
            x = x_new
        return x


class Mlp(PeerModel):
    """src/models/mlp.ts: flattened fields, swish hidden layers, linear head."""

    def __init__(self, cfg, inputs, target, edges):
        super().__init__()
        self.names = [f["name"] for f in inputs]
        self.target_shape = list(target["shape"])
        in_dim = sum(field_size(f) for f in inputs)
        p = Params()
        self.hidden = [p.dense(in_dim if i == 0 else cfg["hidden"], cfg["hidden"]) for i in range(cfg["layers"])]
        self.head = p.dense(cfg["hidden"], field_size(target))
        self.finish(p)

    def forward(self, fields):
        b = fields[self.names[0]].shape[0]
        x = torch.cat([fields[n].reshape(b, -1) for n in self.names], 1)
        for layer in self.hidden:
            x = F.silu(dense(x, *layer))
        return dense(x, *self.head).reshape(b, *self.target_shape)


MODELS = {"transformer": Transformer, "gnn": Gnn, "egnn": Egnn, "mlp": Mlp}


# --- training step (mirror src/training/train.ts and remul_loss.ts) --------------------------


def quaternion_to_matrix(q):
    """q [K, 4] unit (w, x, y, z) -> [K, 3, 3], as src/symmetry/rotation.ts."""
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], -1).reshape(-1, 3, 3)


def sample_rotations(spec, count, gen):
    """Rotations [count, 3, 3] drawn as the data set's training rotations are drawn."""
    kind = spec["kind"]
    if kind == "identity":
        return torch.eye(3).expand(count, 3, 3).contiguous()
    if kind == "haar":
        q = torch.randn(count, 4, generator=gen)
        return quaternion_to_matrix(q / q.norm(dim=-1, keepdim=True))
    if kind == "angle":
        axis = torch.randn(count, 3, generator=gen)
        axis = axis / axis.norm(dim=-1, keepdim=True)
        ranges = spec["ranges"]
        total = sum(hi - lo for lo, hi in ranges)
        u = torch.rand(count, generator=gen) * total
        angle = torch.empty(count)
        start = 0.0
        for lo, hi in ranges:
            inside = (u >= start) & (u < start + (hi - lo))
            angle[inside] = lo + (u[inside] - start)
            start += hi - lo
        angle[u >= total] = ranges[-1][1]
        half = angle * (math.pi / 360.0)
        q = torch.cat([half.cos().unsqueeze(-1), axis * half.sin().unsqueeze(-1)], -1)
        return quaternion_to_matrix(q)
    raise ValueError(f"unknown rotation kind {kind!r}")


def rotate(x, rotations):
    """x [B, ..., 3] as row vectors: x R^T per sample."""
    shape = x.shape
    return torch.bmm(x.reshape(shape[0], -1, 3), rotations.transpose(1, 2)).reshape(shape)


def remul_loss(model, inputs, target, alpha, beta, rotations, specs, target_spec):
    """alpha * mse(f(x), y) + beta * mse(f(g x), g y); both terms in one 2B forward pass."""
    b = target.shape[0]
    if beta != 0:
        gx = {s["name"]: inputs[s["name"]] if s["kind"] == "scalar" else rotate(inputs[s["name"]], rotations)
              for s in specs}
        gy = target if target_spec["kind"] == "scalar" else rotate(target, rotations)
    if alpha != 0 and beta != 0:
        joint = {s["name"]: torch.cat([inputs[s["name"]], gx[s["name"]]], 0) for s in specs}
        out = model(joint)
        return alpha * F.mse_loss(out[:b], target) + beta * F.mse_loss(out[b:], gy)
    if alpha != 0:
        return alpha * F.mse_loss(model(inputs), target)
    return beta * F.mse_loss(model(gx), gy)


def time_training(state, req, alpha, beta):
    model, specs, tspec = state["model"], state["inputs"], state["target"]
    train, ttarget = state["train"], state["train_target"]
    size = ttarget.shape[0]
    b = min(req["batch"], size)
    steps = 1 + req["warmup"] + req["repeats"]
    gen = torch.Generator().manual_seed(req["seed"])
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=req["lr"], betas=(0.9, 0.999), eps=1e-7)
    clip = req["gradClip"]
    order = torch.empty(0, dtype=torch.long)
    cursor = 0
    times = []
    model.train()
    for step in range(steps):
        if cursor + b > order.shape[0]:
            order = torch.randperm(size, generator=gen)
            cursor = 0
        idx = order[cursor:cursor + b]
        cursor += b
        t0 = time.perf_counter()
        inputs = {k: v.index_select(0, idx) for k, v in train.items()}
        target = ttarget.index_select(0, idx)
        rotations = sample_rotations(state["rotations"], b, gen) if beta != 0 else None
        loss = remul_loss(model, inputs, target, alpha, beta, rotations, specs, tspec)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        value = loss.item()
        times.append((time.perf_counter() - t0) * 1000.0)
        if not math.isfinite(value):
            raise FloatingPointError(f"loss became {value} at step {step + 1} of {steps}")
    return times


def time_inference(state, req):
    model, batch = state["model"], state["test"]
    times = []
    with torch.no_grad():
        for i in range(req["inferenceWarmup"] + req["inferenceRepeats"]):
            t0 = time.perf_counter()
            y = model(batch)
            _ = y.contiguous()
            if i >= req["inferenceWarmup"]:
                times.append((time.perf_counter() - t0) * 1000.0)
    return times


# --- protocol --------------------------------------------------------------------------------


def arrays_of(req, payload):
    out = {}
    for a in req.get("arrays", []):
        count = math.prod(a["shape"]) if a["shape"] else 1
        t = torch.frombuffer(payload, dtype=torch.float32, count=count, offset=4 * a["offset"])
        out[a["name"]] = t.reshape(a["shape"]).clone()
    return out


def finite_list(t):
    return [v if math.isfinite(v) else None for v in t.reshape(-1).tolist()]


def op_load(req, arrays):
    cls = MODELS.get(req["model"])
    if cls is None:
        raise ValueError(f"no PyTorch model for {req['model']!r}; known: {', '.join(MODELS)}")
    torch.manual_seed(req["seed"])
    edges = req.get("edges")
    model = cls(req["config"], req["inputs"], req["target"], edges)
    params = list(model.parameters())
    count = sum(p.numel() for p in params)
    answer = {"params": count, "paramTensors": len(params)}
    weights = [arrays[f"weights/{i}"] for i in range(len(req["weightShapes"]))]
    if len(weights) != len(params):
        answer["error"] = f"{len(params)} parameter tensors here, {len(weights)} on our side"
        return None, answer
    for i, (p, w) in enumerate(zip(params, weights)):
        if list(p.shape) != list(w.shape):
            answer["error"] = f"parameter #{i}: shape {list(p.shape)} here, {list(w.shape)} on our side"
            return None, answer
        if p.dtype != torch.float32:
            raise TypeError(f"parameter #{i} has dtype {p.dtype}, expected float32")
    state = {
        "model": model,
        "inputs": req["inputs"],
        "target": req["target"],
        "rotations": req["rotations"],
        "train": {s["name"]: arrays[f"train/{s['name']}"] for s in req["inputs"]},
        "train_target": arrays["train/target"],
        "test": {s["name"]: arrays[f"test/{s['name']}"] for s in req["inputs"]},
    }
    model.eval()
    with torch.no_grad():
        if "probe/0" in arrays:
            for i, p in enumerate(params):
                p.copy_(arrays[f"probe/{i}"])
            answer["probePrediction"] = finite_list(model(state["test"]))
        for p, w in zip(params, weights):
            p.copy_(w)
        answer["prediction"] = finite_list(model(state["test"]))
    return state, answer


def op_time(state, req):
    plain = time_training(state, req, 1.0, 0.0)
    remul = time_training(state, req, 1.0, 1.0)
    infer = time_inference(state, req)
    return {"plainStepMs": plain, "remulStepMs": remul, "inferMs": infer}


def blas_info():
    """The BLAS torch was built against (`BLAS_INFO`, e.g. `generic`, `open`, `mkl`) and the BLAS
    libraries this process has loaded (on Debian the generic libblas.so.3 is OpenBLAS)."""
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    info = m.group(1) if m else "unknown"
    loaded = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "blas" in path.rsplit("/", 1)[-1]:
                    loaded.add(path)
    except OSError:
        pass  # not Linux
    return f"{info} ({', '.join(sorted(loaded))})" if loaded else info


def main():
    stdin = sys.stdin.buffer
    hello = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "device": "cpu",
        "dtype": str(torch.get_default_dtype()),
        "blas": blas_info(),
    }
    print(json.dumps(hello), flush=True)
    state = None
    while True:
        line = stdin.readline()
        if not line:
            return 0
        req = json.loads(line)
        payload = bytearray(stdin.read(req.get("payloadBytes", 0)))
        try:
            if req["op"] == "load":
                state = None
                state, answer = op_load(req, arrays_of(req, payload))
            elif req["op"] == "time":
                if state is None:
                    raise RuntimeError("time: no model loaded")
                answer = op_time(state, req)
            else:
                raise ValueError(f"unknown op {req['op']!r}")
        except Exception as e:  # reported to the caller, which fails loudly
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer, allow_nan=False), flush=True)


if __name__ == "__main__":
    sys.exit(main())
