/**
 * Microbenchmark of SiLU's forward SIMD loop variants, interleaved: each argument is a module with
 * one exported `gate` (the loop of src/backend/simd_exp.wat, cut out); prints each variant's
 * worst relative error against float64 SiLU over [−100, 100] and its median time per element
 * over 30 rounds of 100 calls on 32,768 floats. Run from the repository root:
 * `deno run -A docs/measurements/2026-11-29-cpu-4/gate-loop-bench.ts A.wat B.wat`.
 * Measured (gate-loop-bench.txt): the mirrored σ = f/(1 + f) loop 2.71–2.86 ns an element, the
 * direct y = u/(1 + e^−v) loop 2.12–2.15.
 */
const { default: initWabt } = await import("npm:wabt@1.0.39");
const wabt = await initWabt();
const files = Deno.args;
const mem = new WebAssembly.Memory({ initial: 64 });
const mods = files.map((f) => {
  const m = wabt.parseWat(f, Deno.readTextFileSync(f), { simd: true });
  m.validate();
  const bin = m.toBinary({}).buffer;
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bin), { env: { memory: mem } })
    .exports as { gate(x: number, y: number, n4: number, c: number, k3: number): void };
  return exports.gate;
});
const n = 32768;
const x = new Float32Array(mem.buffer, 16, n);
const ys = files.map((_, k) => new Float32Array(mem.buffer, 16 + 4 * n * (k + 1) + 64, n));
for (let i = 0; i < n; i++) x[i] = -100 + 200 * i / (n - 1);
x[5] = 0;
x[6] = -1e4;
x[7] = 1e4;
// accuracy vs float64 SiLU
files.forEach((f, k) => {
  mods[k](x.byteOffset, ys[k].byteOffset, n / 4, 1, 0);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const want = x[i] / (1 + Math.exp(-x[i]));
    if (Math.abs(want) < 1e-30) {
      if (Math.abs(ys[k][i]) > 1e-30) worst = Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(ys[k][i] - want) / Math.abs(want));
  }
  console.log(f, "max rel err", worst.toExponential(2));
});
const times = files.map(() => [] as number[]);
for (let round = 0; round < 30; round++) {
  files.forEach((_, k) => {
    const t0 = performance.now();
    for (let r = 0; r < 100; r++) mods[k](x.byteOffset, ys[k].byteOffset, n / 4, 1, 0);
    times[k].push((performance.now() - t0) / 100 / n * 1e6);
  });
}
files.forEach((f, k) => {
  const s = times[k].sort((a, b) => a - b);
  console.log(f, "ns/element median", s[15].toFixed(3), "min", s[0].toFixed(3));
});
