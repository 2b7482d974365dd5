#!/usr/bin/env python3
"""PyTorch twins of remul-bench's models, and the PyTorch side of `deno task peer`.

Written from the TypeScript definitions in src/models/ (transformer.ts, nn.ts, gnn.ts, egnn.ts,
egnn_layer.ts, mlp.ts, _graph.ts, gatr/*.ts): same layers, same parameter shapes in the same order, weights
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
  return the prediction again (and each time the auxiliary loss, for models that have one:
  GATr's regulariser). The model keeps the initial weights for timing. Arrays
  `constants/<name>` are constant tables the model takes from our side instead of rebuilding
  them (GATr's algebra, see the GATr section below).
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

    def __init__(self, cfg, inputs, target, edges, consts=None):
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

    def __init__(self, cfg, inputs, target, edges, consts=None):
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

    def __init__(self, cfg, inputs, target, edges, consts=None):
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

    def __init__(self, cfg, inputs, target, edges, consts=None):
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


# --- GATr (mirror src/models/gatr/) ----------------------------------------------------------
#
# The algebra's constant tables are not rebuilt here: our side sends them with the load request
# (src/peer/constants.ts, arrays `constants/<name>`), exactly the Float32Arrays src/models/gatr/
# algebra.ts derives, so both sides use the same numbers:
#   gatr/geometricProduct [16 out, 16 left, 16 right]  (GEOMETRIC_PRODUCT)
#   gatr/join             [16, 16, 16]                 (JOIN: dual(dual(x) ∧ dual(y)))
#   gatr/linearBasis      [9, 16 out, 16 in]           (LINEAR_BASIS, the 9 equivariant maps)
#   gatr/innerMask        [16], 1 on the blades without e0 (INNER_PRODUCT_INDICES)
# What follows is the same math with torch ops, on multivectors in GATr's public layout
# [..., channels, 16] (component order of algebra.ts: 1, e0, e1, e2, e3, e01, e02, e03, e12, e13,
# e23, e012, e013, e023, e123, e0123). Our side runs the same maps in factored and blade-major
# block forms (_layout.ts, equi_linear.ts, bilinear.ts); here they are the dense tables, as the
# reference GATr applies them (the full product tables; the equivariant linear map as one
# [16·C_in, 16·C_out] matrix assembled from the weights and the basis on every call).

GATR_REG_WEIGHT = 0.01  # gatr.ts
GATR_NORM_EPS = 0.01  # normalization.ts LAYER_NORM_EPS
GATR_ATTN_EPS = 1e-3  # geometric_attention.ts ATTENTION_NORMALIZER_EPS
GATR_POINT_THRESHOLD = 1e-3  # embedding.ts POINT_EXTRACTION_THRESHOLD
GATR_ATTN_IP = [0, 2, 3, 4, 8, 9, 10]  # 1, e1, e2, e3, e12, e13, e23 (geometric_attention.ts)
E012, E013, E023, E123 = 11, 12, 13, 14


class EquiLinear:
    """equi_linear_layer.ts: mv→mv (9 basis maps, w [C_out, C_in, 9]), scalars→component 0
    (s2mv, with bias) or a bias on component 0, component 0→scalars (mv2s, with bias),
    scalars→scalars (s2s, no bias). Parameters created in our creation order: w, then s2mv.w,
    s2mv.b (or bias), then s2s.w, mv2s.w, mv2s.b."""

    def __init__(self, p, in_mv, out_mv, in_s, out_s):
        self.in_mv, self.out_mv, self.in_s, self.out_s = in_mv, out_mv, in_s, out_s
        self.w = p.uniform((out_mv, in_mv, 9), 1.0 / math.sqrt(in_mv))
        self.bias = self.s2mv_w = self.s2mv_b = self.s2s_w = self.mv2s_w = self.mv2s_b = None
        if in_s > 0:
            self.s2mv_w = p.uniform((in_s, out_mv), 1.0 / math.sqrt(in_s))
            self.s2mv_b = p.uniform((out_mv,), 1.0 / math.sqrt(in_s + in_mv))
        else:
            self.bias = p.uniform((out_mv,), 0.0)
        if out_s > 0:
            if in_s > 0:
                self.s2s_w = p.uniform((in_s, out_s), 1.0 / math.sqrt(2 * in_s))
            self.mv2s_w = p.uniform((in_mv, out_s), 1.0 / math.sqrt(in_mv))
            self.mv2s_b = p.uniform((out_s,), 1.0 / math.sqrt(in_mv + in_s))

    def __call__(self, basis, mv, s):
        """mv [..., C_in, 16], s [..., S_in] (or None) -> mv [..., C_out, 16], s [..., S_out]."""
        lead = mv.shape[:-2]
        # K[(i, p), (o, q)] = Σ_b W[o, i, b] basis[b, q, p]
        k = torch.einsum("oib,bqp->ipoq", self.w, basis).reshape(16 * self.in_mv, 16 * self.out_mv)
        y = (mv.reshape(-1, 16 * self.in_mv) @ k).reshape(*lead, self.out_mv, 16)
        scalar = dense(s, self.s2mv_w, self.s2mv_b) if self.in_s > 0 else self.bias  # [..., C_out]
        y = y + F.pad(scalar.unsqueeze(-1), (0, 15))  # onto component 0 only
        s_out = None
        if self.out_s > 0:
            s_out = dense(mv[..., 0], self.mv2s_w, self.mv2s_b)
            if self.in_s > 0:
                s_out = s_out + dense(s, self.s2s_w)
        return y, s_out


def gatr_bilinear(table, x, y):
    """out_i = Σ_jk T[i, j, k] x_j y_k per multivector, with the table given as `table_left`
    [16 (j), 256 (i, k)] (Gatr.__init__): one matrix product with the left operand, then a batched
    product with the right one (the same sum as einsum("ijk,...j,...k->...i"), about a third
    faster here on [B, N, C, 16] operands)."""
    xt = (x @ table).reshape(*x.shape[:-1], 16, 16)  # [..., i, k]
    return (xt @ y.unsqueeze(-1)).squeeze(-1)


def gatr_layer_norms(mv, s, inner):
    """normalization.ts: the equivariant layer norm x / sqrt(max(mean_c ⟨x_c, x_c⟩, 0.01)) on the
    multivectors; nn.ts's layer norm (no affine) on the scalars."""
    sq = (mv.square() * inner).sum((-1, -2), keepdim=True) / mv.shape[-2]
    return mv * torch.rsqrt(sq.clamp(min=GATR_NORM_EPS)), layer_norm(s)


def gatr_attention_features(x):
    """geometric_attention.ts, per multivector x [..., 16]: the inner-product part (7) and the
    distance part [Σ ã², w̃², w̃·ã] (5) of the query form, t̃ = t · t₃ / (t₃² + ε)."""
    ip = x[..., GATR_ATTN_IP]
    a = x[..., E012:E023 + 1]  # e012, e013, e023
    w = x[..., E123:E123 + 1]
    w2 = w.square()
    r2 = w2 / (w2 + GATR_ATTN_EPS).square()
    dist = torch.cat([a.square().sum(-1, keepdim=True), w2, w * a], -1) * r2
    return ip, dist


class GatrAttention:
    """attention_layer.ts + geometric_attention.ts: multi-query geometric self-attention. Queries
    H·c mv and H·s scalars (head-major), one shared key and value head (c, s); the projections as
    one EquiLinear (our fused qkv); distance weights exp(log_w [H, c]); scale 1/sqrt(12c + s)."""

    def __init__(self, p, mv_ch, s_ch, heads):
        self.h = heads
        self.c = max((2 * mv_ch) // heads, 1)
        self.s = max((2 * s_ch) // heads, 4)
        h, c, s = self.h, self.c, self.s
        self.qkv = EquiLinear(p, mv_ch, h * c + 2 * c, s_ch, h * s + 2 * s)
        self.out = EquiLinear(p, h * c, mv_ch, h * s, s_ch)
        self.log_w = p.uniform((h, c), 0.0)

    def __call__(self, basis, mv, s):
        h, c, sc = self.h, self.c, self.s
        b, n = mv.shape[0], mv.shape[1]
        qkv_mv, qkv_s = self.qkv(basis, mv, s)
        q_mv, k_mv, v_mv = qkv_mv.split([h * c, c, c], 2)
        q_s, k_s, v_s = qkv_s.split([h * sc, sc, sc], 2)
        d = 12 * c + sc
        scale = 1.0 / math.sqrt(d)
        q_ip, q_dist = gatr_attention_features(q_mv.reshape(b, n, h, c, 16))
        q_dist = q_dist * self.log_w.exp().unsqueeze(-1)  # [B, N, H, c, 5]
        q = torch.cat([torch.cat([q_ip, q_dist], -1).reshape(b, n, h, 12 * c),
                       q_s.reshape(b, n, h, sc)], -1) * scale  # [B, N, H, D]
        k_ip, k_dist = gatr_attention_features(k_mv)  # [B, N, c, ·]
        # key form [ip, −w̃², −Σ ã², 2 w̃·ã]: φ(q)·ψ(k) = −‖q̃_a k̃₃ − k̃_a q̃₃‖²
        k_dist = torch.cat([-k_dist[..., 1:2], -k_dist[..., 0:1], 2 * k_dist[..., 2:5]], -1)
        k = torch.cat([torch.cat([k_ip, k_dist], -1).reshape(b, n, 12 * c), k_s], -1)  # [B, N, D]
        attn = torch.softmax(q.reshape(b, n * h, d) @ k.transpose(1, 2), -1)  # [B, N·H, N]
        v = torch.cat([v_mv.reshape(b, n, 16 * c), v_s], -1)  # [B, N, 16c + s]
        o = (attn @ v).reshape(b, n, h, 16 * c + sc)
        o_mv = o[..., :16 * c].reshape(b, n, h * c, 16)
        o_s = o[..., 16 * c:].reshape(b, n, h * sc)
        return self.out(basis, o_mv, o_s)


class GatrMlp:
    """mlp.ts + geometric_bilinear_layer.ts: EquiLinear(C → 4·C, S → 0) for L, R, JL, JR (our
    fused four parts), gp = L R and join(JL, JR)·ref_e123 per channel, EquiLinear(2C → 2C,
    S → 2S) on [gp, join] with the normed scalars, gated tanh-GELU on multivectors (gate:
    their component 0) and exact GELU on scalars, EquiLinear(2C → C, 2S → S)."""

    def __init__(self, p, mv_ch, s_ch):
        self.c = mv_ch
        self.inputs = EquiLinear(p, mv_ch, 4 * mv_ch, s_ch, 0)
        self.bilinear_out = EquiLinear(p, 2 * mv_ch, 2 * mv_ch, s_ch, 2 * s_ch)
        self.out = EquiLinear(p, 2 * mv_ch, mv_ch, 2 * s_ch, s_ch)

    def __call__(self, consts, mv, s, e123):
        c = self.c
        y, _ = self.inputs(consts["basis"], mv, s)
        l, r, jl, jr = y.split([c, c, c, c], -2)
        gp = gatr_bilinear(consts["gp"], l, r)
        jn = gatr_bilinear(consts["join"], jl, jr) * e123.reshape(-1, 1, 1, 1)
        h_mv, h_s = self.bilinear_out(consts["basis"], torch.cat([gp, jn], -2), s)
        h_mv = F.gelu(h_mv[..., 0:1], approximate="tanh") * h_mv
        h_s = F.gelu(h_s)  # exact (erf) GELU on the scalars
        return self.out(consts["basis"], h_mv, h_s)


class Gatr(PeerModel):
    """gatr.ts + net.ts + block.ts: the N-body wrapper's embedding (per multivector channel k:
    point(k-th position) + translator(k-th vector), plus scalar(first column of the first scalar
    field) in channel 0; other scalar columns as auxiliary scalars, else one channel of zeros),
    EquiLinear in, blocks (pre-norm attention, pre-norm geometric MLP, residuals on both streams),
    EquiLinear out, extract_point of channel 0 (no residual). Forward returns the prediction and
    the regulariser 0.01·mean_batch Σ_nodes[(|e123| − 1)² + s²]. Parameters are created in the
    order of our ParamFactory (model.params); their values here are placeholders that our weights
    replace (the shapes are what counts)."""

    def __init__(self, cfg, inputs, target, edges, consts=None):
        super().__init__()
        if not consts or "gatr/geometricProduct" not in consts:
            raise ValueError("gatr: the algebra tables (constants/gatr/*) were not sent")
        for key, name in [("basis", "linearBasis"), ("inner", "innerMask")]:
            self.register_buffer(key, consts[f"gatr/{name}"])
        # the product tables [i, j, k] as [j, (i, k)] for gatr_bilinear
        for key, name in [("gp", "geometricProduct"), ("join", "join")]:
            table = consts[f"gatr/{name}"]
            self.register_buffer(key, table.permute(1, 0, 2).reshape(16, 256).contiguous())
        if target["kind"] != "position":
            raise ValueError("gatr: the target must be a position field")
        self.positions = [f["name"] for f in inputs if f["kind"] == "position"]
        self.vectors = [f["name"] for f in inputs if f["kind"] == "vector"]
        scalars = [f for f in inputs if f["kind"] == "scalar"]
        self.scalar = scalars[0]["name"] if scalars else None
        self.aux = []  # (name, first column, width)
        for i, f in enumerate(scalars):
            start = 1 if i == 0 else 0
            if f["shape"][1] > start:
                self.aux.append((f["name"], start, f["shape"][1] - start))
        # velocityPoint: one more channel per (position, vector) pair, point(x/L + v/V)
        self.velocity_points = (min(len(self.positions), len(self.vectors))
                                if cfg.get("velocityPoint", False) else 0)
        in_mv = max(len(self.positions), len(self.vectors)) + self.velocity_points
        # nodeIdentity: a one-hot of the node index after the auxiliary scalars
        self.node_identity = target["shape"][0] if cfg.get("nodeIdentity", False) else 0
        in_s = max(sum(w for _, _, w in self.aux) + self.node_identity, 1)
        self.length_scale = cfg["lengthScale"]
        self.vector_scale = cfg["vectorScale"]
        mv_ch, s_ch, heads = cfg["mvChannels"], cfg["sChannels"], cfg["heads"]
        p = Params()
        self.linear_in = EquiLinear(p, in_mv, mv_ch, in_s, s_ch)
        self.blocks = [(GatrAttention(p, mv_ch, s_ch, heads), GatrMlp(p, mv_ch, s_ch))
                       for _ in range(cfg["blocks"])]
        self.linear_out = EquiLinear(p, mv_ch, 1, s_ch, 1)
        self.finish(p)

    def embed(self, fields):
        b, n = fields[self.positions[0]].shape[:2]
        channels = []

        def position(k):
            p = fields[self.positions[k]]
            return p / self.length_scale if self.length_scale != 1 else p

        def vector(k):
            v = fields[self.vectors[k]]
            return v / self.vector_scale if self.vector_scale != 1 else v

        def point(p):
            # e012 = −z, e013 = y, e023 = −x, e123 = 1 (components 11..14)
            mv = torch.stack([-p[..., 2], p[..., 1], -p[..., 0], torch.ones_like(p[..., 0])], -1)
            return F.pad(mv, (E012, 15 - E123))

        for k in range(max(len(self.positions), len(self.vectors))):
            x = torch.zeros(b, n, 16)
            if k < len(self.positions):
                x = x + point(position(k))
            if k < len(self.vectors):
                v = vector(k)
                # translator 1 − ½ e0 t: scalar 1, e01, e02, e03 = −t/2
                x = x + F.pad(torch.cat([torch.ones_like(v[..., :1]), v.new_zeros(*v.shape[:-1], 4),
                                         -0.5 * v], -1), (0, 8))
            if k == 0 and self.scalar:
                x = x + F.pad(fields[self.scalar][..., 0:1], (0, 15))
            channels.append(x)
        for k in range(self.velocity_points):
            channels.append(point(position(k) + vector(k)))
        mv = torch.stack(channels, 2)  # [B, N, C_in, 16]
        scalars = [fields[name][..., a:a + w] for name, a, w in self.aux]
        if self.node_identity:
            scalars.append(torch.eye(n).expand(b, n, n))
        s = torch.cat(scalars, -1) if scalars else torch.zeros(b, n, 1)
        return mv, s

    def forward(self, fields):
        consts = {"gp": self.gp, "join": self.join, "basis": self.basis}
        mv, s = self.embed(fields)
        e123 = mv.mean((1, 2))[:, E123]  # join reference ("data" mode): [B]
        mv, s = self.linear_in(self.basis, mv, s)
        for attn, mlp in self.blocks:
            a_mv, a_s = attn(self.basis, *gatr_layer_norms(mv, s, self.inner))
            mv, s = mv + a_mv, s + a_s
            m_mv, m_s = mlp(consts, *gatr_layer_norms(mv, s, self.inner), e123)
            mv, s = mv + m_mv, s + m_s
        mv, s = self.linear_out(self.basis, mv, s)
        o = mv[:, :, 0, :]  # [B, N, 16]
        w = o[..., E123:E123 + 1]
        reg = (w.abs() - 1).square().sum((1, 2)) + s.square().sum((1, 2))
        # |e123| at most the threshold: divide by the threshold instead (embedding.ts extractPoint)
        safe = torch.where(w.abs() > GATR_POINT_THRESHOLD, w,
                           torch.full_like(w, GATR_POINT_THRESHOLD))
        points = torch.stack([-o[..., E023], o[..., E013], -o[..., E012]], -1) / safe
        if self.length_scale != 1:
            points = points * self.length_scale
        return points, reg.mean() * GATR_REG_WEIGHT


MODELS = {"transformer": Transformer, "gnn": Gnn, "egnn": Egnn, "mlp": Mlp, "gatr": Gatr}


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


def unpack(out):
    """A model's output: the prediction, or (prediction, auxiliary loss) as GATr's."""
    return out if isinstance(out, tuple) else (out, None)


def remul_loss(model, inputs, target, alpha, beta, rotations, specs, target_spec):
    """alpha * mse(f(x), y) + beta * mse(f(g x), g y) (+ the model's auxiliary loss, as
    remul_loss.ts adds it); both terms in one 2B forward pass."""
    b = target.shape[0]
    if beta != 0:
        gx = {s["name"]: inputs[s["name"]] if s["kind"] == "scalar" else rotate(inputs[s["name"]], rotations)
              for s in specs}
        gy = target if target_spec["kind"] == "scalar" else rotate(target, rotations)
    if alpha != 0 and beta != 0:
        joint = {s["name"]: torch.cat([inputs[s["name"]], gx[s["name"]]], 0) for s in specs}
        out, aux = unpack(model(joint))
        loss = alpha * F.mse_loss(out[:b], target) + beta * F.mse_loss(out[b:], gy)
    elif alpha != 0:
        out, aux = unpack(model(inputs))
        loss = alpha * F.mse_loss(out, target)
    else:
        out, aux = unpack(model(gx))
        loss = beta * F.mse_loss(out, gy)
    return loss if aux is None else loss + aux


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
            y, _ = unpack(model(batch))
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
    # constant tables our side sends (e.g. GATr's algebra), by name without the prefix
    consts = {k[len("constants/"):]: v for k, v in arrays.items() if k.startswith("constants/")}
    model = cls(req["config"], req["inputs"], req["target"], edges, consts)
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
            y, aux = unpack(model(state["test"]))
            answer["probePrediction"] = finite_list(y)
            if aux is not None:
                answer["probeAuxLoss"] = finite_list(aux)[0]
        for p, w in zip(params, weights):
            p.copy_(w)
        y, aux = unpack(model(state["test"]))
        answer["prediction"] = finite_list(y)
        if aux is not None:
            answer["auxLoss"] = finite_list(aux)[0]
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
