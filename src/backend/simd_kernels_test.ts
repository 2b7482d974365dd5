import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import {
  adamInto,
  attentionGradSimd,
  attentionScratch,
  attentionSimd,
  bindSimdKernels,
  gateGradInto,
  gateInto,
  GELU_GATE,
  layerNormGradInto,
  layerNormInto,
  pairAddInto,
  pairAggregateInto,
  pairSpreadInto,
  setSimdKernels,
  SILU_GATE,
  siluGradInto,
  siluInto,
  simdRunsOn,
  sumMiddleInto,
  sumSquares,
} from "./simd_kernels.ts";
import { attentionBackward, attentionForward } from "./fused_attention.ts";
import { assembleWasm, embeddedWasm, WASM_SOURCES } from "../../tasks/wasm.ts";

Deno.test("the embedded SIMD modules are their .wat sources assembled (deno task wasm)", async () => {
  for (const source of WASM_SOURCES) {
    assert.equal(await embeddedWasm(source), await assembleWasm(source), source.file);
  }
});

/** Runs `fn` on views of a fresh wasm memory bound to the SIMD loops, then with SIMD off. */
function bothPaths(
  sizes: readonly number[],
  fill: (arrays: Float32Array[]) => void,
  fn: (arrays: Float32Array[]) => void,
): [Float32Array[], Float32Array[]] {
  const bytes = sizes.reduce((a, n) => a + 4 * n + 16, 0);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  assert.ok(bindSimdKernels(memory), "WebAssembly SIMD is available");
  const out: Float32Array[][] = [];
  for (const simd of [true, false]) {
    let at = 4; // deliberately not 16-byte aligned
    const arrays = sizes.map((n) => {
      const a = new Float32Array(memory.buffer, at, n);
      at += 4 * n + 4;
      return a;
    });
    fill(arrays);
    if (simd) assert.ok(simdRunsOn(arrays), "the SIMD loops run on these views");
    setSimdKernels(simd);
    try {
      fn(arrays);
    } finally {
      setSimdKernels(true);
    }
    out.push(arrays.map((a) => a.slice()));
  }
  return [out[0], out[1]];
}

const wave = (a: Float32Array, phase: number) => {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(3 * Math.sin(0.37 * i + phase));
};

Deno.test("SIMD loops give the same bits as the JavaScript loops, tails included", () => {
  for (const n of [1, 4, 7, 33, 1000]) {
    const [simd, js] = bothPaths([n, n, n, n], ([x, y, dy]) => {
      wave(x, 0);
      x[0] = 0; // σ(0) = ½: the gradient's special case
      for (let i = 0; i < n; i++) y[i] = x[i] / (1 + Math.exp(-x[i]));
      wave(dy, 1);
    }, ([x, y, dy, dx]) => siluGradInto(x, y, dy, dx));
    assert.deepEqual(simd[3], js[3], `silu grad n=${n}`);
    // and it is what it says: dx = dy·σ(x)·(1 + x·(1 − σ(x)))
    for (let i = 0; i < n; i++) {
      const x = js[0][i];
      const s = 1 / (1 + Math.exp(-x));
      const g = js[2][i] * s * (1 + x * (1 - s));
      assert.ok(
        Math.abs(js[3][i] - g) < 2e-6 * (1 + Math.abs(g)),
        `silu grad ${i}: ${js[3][i]} vs ${g}`,
      );
    }
  }
  for (const [outer, reduce, inner] of [[3, 5, 8], [2, 1, 4], [4, 3, 6]]) {
    const [simd, js] = bothPaths(
      [outer * reduce * inner, outer * inner],
      ([x]) => wave(x, 2),
      ([x, out]) => sumMiddleInto(x, out, outer, reduce, inner),
    );
    assert.deepEqual(simd[1], js[1], `sum middle ${outer}×${reduce}×${inner}`);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let r = 0; r < reduce; r++) s += js[0][(o * reduce + r) * inner + i];
        assert.ok(Math.abs(js[1][o * inner + i] - s) < 1e-5);
      }
    }
  }
  for (const [b, n, c] of [[2, 3, 8], [1, 4, 4], [3, 2, 3]]) {
    const [simd, js] = bothPaths(
      [b * n * n * c, n * n, b * n * c, b * n * n * c],
      ([x, w, dy]) => {
        wave(x, 3);
        wave(w, 4);
        wave(dy, 5);
      },
      ([x, w, dy, dx]) => {
        pairSpreadInto(dy, w, dx, b, n, c);
        pairAggregateInto(x, w, dy, b, n, c);
      },
    );
    const [simdAdd, jsAdd] = bothPaths(
      [b * n * c, b * n * c, b * n * n * c],
      ([r, s]) => {
        wave(r, 6);
        wave(s, 7);
      },
      ([r, s, out]) => pairAddInto(r, s, out, b, n, c),
    );
    assert.deepEqual(simdAdd[2], jsAdd[2], `pair add ${b}×${n}×${c}`);
    for (const k of [1, 3]) {
      const [simdEdges, jsEdges] = bothPaths(
        [b * n * c, b * n * c, b * n * n * k, k * c, b * n * n * c],
        ([r, s, a, w]) => {
          wave(r, 6);
          wave(s, 7);
          wave(a, 8);
          wave(w, 9);
        },
        ([r, s, a, w, out]) => pairAddInto(r, s, out, b, n, c, { a, w, k }),
      );
      assert.deepEqual(simdEdges[4], jsEdges[4], `pair add with ${k} edge terms ${b}×${n}×${c}`);
      const [r, s, a, w, out] = jsEdges;
      const pair = b * n * n - 1; // the last pair
      const [bi, i, j] = [b - 1, n - 1, n - 1];
      for (let ch = 0; ch < c; ch++) {
        let want = r[(bi * n + i) * c + ch] + s[(bi * n + j) * c + ch];
        for (let e = 0; e < k; e++) want += a[pair * k + e] * w[e * c + ch];
        assert.ok(Math.abs(out[pair * c + ch] - want) < 1e-5);
      }
    }
    for (let bi = 0; bi < b; bi++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          for (let ch = 0; ch < c; ch++) {
            const want = Math.fround(
              jsAdd[0][(bi * n + i) * c + ch] + jsAdd[1][(bi * n + j) * c + ch],
            );
            assert.equal(jsAdd[2][((bi * n + i) * n + j) * c + ch], want);
          }
        }
      }
    }
    assert.deepEqual(simd[2], js[2], `pair aggregate ${b}×${n}×${c}`);
    assert.deepEqual(simd[3], js[3], `pair spread ${b}×${n}×${c}`);
    const [x, w, agg] = js;
    for (let bi = 0; bi < b * n; bi++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += w[(bi % n) * n + j] * x[(bi * n + j) * c + ch];
        assert.ok(Math.abs(agg[bi * c + ch] - s) < 1e-5);
      }
    }
  }
});

Deno.test("layer norm's SIMD loops give the same bits as their JavaScript twins, and are layer norm", () => {
  for (const [rows, c] of [[3, 4], [5, 32], [2, 384]]) {
    const n = rows * c;
    const [simd, js] = bothPaths([n, n, n, n], ([x, , dy]) => {
      wave(x, 10);
      for (let i = 0; i < n; i++) x[i] = Math.fround(x[i] * 3 + 5); // an offset, as activations have
      wave(dy, 11);
    }, ([x, y, dy, dx]) => {
      layerNormInto(x, y, rows, c);
      layerNormGradInto(x, dy, dx, rows, c);
    });
    assert.deepEqual(simd[1], js[1], `layer norm ${rows}×${c}`);
    assert.deepEqual(simd[3], js[3], `layer norm grad ${rows}×${c}`);
    const [x, y, dy, dx] = js;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * c, (r + 1) * c));
      const mean = row.reduce((a, v) => a + v, 0) / c;
      const inv = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / c + 1e-5);
      const yh = row.map((v) => (v - mean) * inv);
      const g = Array.from(dy.subarray(r * c, (r + 1) * c));
      const mg = g.reduce((a, v) => a + v, 0) / c;
      const mgy = g.reduce((a, v, i) => a + v * yh[i], 0) / c;
      for (let i = 0; i < c; i++) {
        assert.ok(Math.abs(y[r * c + i] - yh[i]) < 2e-5, `ŷ ${r},${i}`);
        const want = inv * (g[i] - mg - yh[i] * mgy);
        assert.ok(Math.abs(dx[r * c + i] - want) < 2e-5 * (1 + Math.abs(want)), `dx ${r},${i}`);
      }
    }
  }
  assert.throws(
    () => layerNormInto(new Float32Array(6), new Float32Array(6), 2, 3),
    /not a multiple of 4/,
  );
});

Deno.test("SiLU's SIMD loop is x·σ(x) within 4e-7 relative, tails included", () => {
  const n = 4003;
  const [simd, js] = bothPaths([n, n], ([x]) => {
    for (let i = 0; i < n; i++) x[i] = Math.fround(-100 + (200 * i) / (n - 1));
    x[1] = 0;
    x[2] = -0;
    x[3] = -1e4;
    x[4] = 1e4;
  }, ([x, y]) => siluInto(x, y));
  for (const [label, y] of [["simd", simd[1]], ["js", js[1]]] as const) {
    for (let i = 0; i < n; i++) {
      const x = simd[0][i];
      const want = x / (1 + Math.exp(-x));
      const err = Math.abs(y[i] - want);
      if (Math.abs(want) < 1e-30) assert.ok(err < 1e-30, `${label} silu(${x}) = ${y[i]}`);
      else {
        assert.ok(err <= 4e-7 * Math.abs(want), `${label} silu(${x}) = ${y[i]}, want ${want}`);
      }
    }
  }
});

Deno.test("the SIMD gates (SiLU, GELU) and their gradients agree with float64 within float32's conditioning", () => {
  const n = 2003;
  for (const gate of [SILU_GATE, GELU_GATE]) {
    const [simd, js] = bothPaths([n, n, n, n], ([x, , dy]) => {
      for (let i = 0; i < n; i++) x[i] = Math.fround(-30 + (60 * i) / (n - 1));
      wave(dy, 12);
    }, ([x, y, dy, dx]) => {
      gateInto(x, y, gate);
      gateGradInto(x, dy, dx, gate);
    });
    for (const [label, [x, y, dy, dx]] of [["simd", simd], ["js", js]] as const) {
      for (let i = 0; i < n; i++) {
        const u = x[i];
        const a = gate.c * u * (1 + gate.k3 * u * u);
        const sg = 1 / (1 + Math.exp(-a));
        const want = u * sg;
        const g = dy[i] * (sg + u * sg * (1 - sg) * gate.c * (1 + 3 * gate.k3 * u * u));
        const what = `${label} c=${gate.c.toFixed(3)} at ${u}`;
        // the argument a is itself rounded to float32: e^a inherits a relative error of ~|a|·2^-24
        const tol = 1e-6 * (1 + Math.abs(a));
        assert.ok(
          Math.abs(y[i] - want) <= tol * Math.abs(want) + 1e-30,
          `${what}: ${y[i]} vs ${want}`,
        );
        assert.ok(
          Math.abs(dx[i] - g) <= tol * (Math.abs(g) + Math.abs(dy[i])),
          `${what}: d ${dx[i]} vs ${g}`,
        );
      }
    }
  }
});

Deno.test("attention's SIMD loops equal the float64 JavaScript loops within 1e-5", () => {
  for (const [b, n, h, d] of [[2, 4, 4, 16], [1, 31, 2, 8], [3, 1, 1, 4], [1, 5, 3, 12]]) {
    const c = h * d;
    const sizes = [b * n * 3 * c, b * n * c, b * n * c, b * n * 3 * c, attentionScratch(n)];
    const bytes = sizes.reduce((a, k) => a + 4 * k + 16, 0);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
    assert.ok(bindSimdKernels(memory));
    let at = 4;
    const [qkv, out, g, dqkv, scratch] = sizes.map((k) => {
      const a = new Float32Array(memory.buffer, at, k);
      at += 4 * k + 4;
      return a;
    });
    wave(qkv, 13);
    for (let i = 0; i < qkv.length; i++) qkv[i] *= 0.4; // scores of order one: float32 conditioning
    wave(g, 14);
    const dims = { b, n, h, d };
    assert.ok(attentionSimd(qkv, out, dims, scratch), "the SIMD loop runs");
    assert.ok(attentionGradSimd(qkv, g, dqkv, dims, scratch));
    const refOut = new Float32Array(out.length);
    const refGrad = new Float32Array(dqkv.length);
    attentionForward(qkv, refOut, b, n, h, d);
    attentionBackward(qkv, g, refGrad, b, n, h, d);
    for (let i = 0; i < out.length; i++) {
      assert.ok(Math.abs(out[i] - refOut[i]) < 1e-5 * (1 + Math.abs(refOut[i])), `out ${i}`);
    }
    for (let i = 0; i < dqkv.length; i++) {
      assert.ok(
        Math.abs(dqkv[i] - refGrad[i]) < 1e-5 * (1 + Math.abs(refGrad[i])),
        `${b}×${n}×${h}×${d} dqkv ${i}: ${dqkv[i]} vs ${refGrad[i]}`,
      );
    }
    // widths that are not whole groups of four, or no scratch: the caller's loop
    assert.equal(attentionSimd(qkv, out, { b, n, h: 1, d: 3 }, scratch), false);
    assert.equal(attentionSimd(qkv, out, dims, undefined), false);
  }
});

Deno.test("Adam's SIMD loop gives the same bits as its JavaScript twin; the squared norm is float64", () => {
  const a = {
    scale: 0.7,
    beta1: 0.9,
    beta2: 0.999,
    c1: 1 / (1 - 0.9 ** 3),
    c2: 1 / (1 - 0.999 ** 3),
    lr: 1e-3,
    epsilon: 1e-7,
  };
  for (const n of [1, 4, 7, 1001]) {
    let before: Float32Array[] = [];
    const [simd, js] = bothPaths([n, n, n, n, n], ([p, g, m, v]) => {
      wave(p, 15);
      wave(g, 16);
      wave(m, 17);
      for (let i = 0; i < n; i++) v[i] = Math.fround(Math.abs(m[i]) * 0.1);
      before = [p, g, m, v].map((x) => x.slice());
    }, ([p, g, m, v, out]) => adamInto(p, g, m, v, out, a));
    for (const k of [2, 3, 4]) assert.deepEqual(simd[k], js[k], `adam array ${k}, n=${n}`);
    // and it is Adam, checked in float64 on every element
    const [p, g, m0, v0] = before;
    for (let i = 0; i < n; i++) {
      const gi = g[i] * a.scale;
      const mi = a.beta1 * m0[i] + (1 - a.beta1) * gi;
      const vi = a.beta2 * v0[i] + (1 - a.beta2) * gi * gi;
      const want = p[i] - a.lr * (mi * a.c1) / (Math.sqrt(vi * a.c2) + a.epsilon);
      assert.ok(Math.abs(js[4][i] - want) < 1e-6 * (1 + Math.abs(want)), `${js[4][i]} vs ${want}`);
    }
    bothPaths([n], ([g]) => wave(g, 18), ([g]) => {
      const direct = Array.from(g).reduce((t, x) => t + x * x, 0);
      assert.ok(Math.abs(sumSquares(g) - direct) <= 1e-12 * direct, `Σg², n=${n}`);
    });
  }
});

Deno.test("the wasm backend binds the SIMD loops to its own heap", async () => {
  await useTestBackend();
  if (tf.getBackend() !== "wasm") return;
  // bothPaths rebinds to its own memories: bind back, as the backend's start does
  const { memory } = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } })
    .wasm.asm;
  assert.ok(bindSimdKernels(memory));
  const x = tf.tensor3d(Array.from({ length: 40 }, (_, i) => i), [2, 5, 4]);
  assert.deepEqual(
    Array.from(await x.sum(1).data()),
    [40, 45, 50, 55, 140, 145, 150, 155],
  );
  x.dispose();
});
