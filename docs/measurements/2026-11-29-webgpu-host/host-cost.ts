/**
 * Host time per tfjs-webgpu dispatch, call by call: `N` adds of `SIZE` floats (on the GPU, over
 * tfjs's CPU hand-off size), with the WebGPU and tfjs calls of a dispatch wrapped and timed.
 * `REMUL_WEBGPU_BIND_CACHE=0|1 deno run -A docs/measurements/2026-11-29-webgpu-host/host-cost.ts [N] [SIZE]`
 */
import { tf } from "../../../src/tf.ts";
import { initBackend } from "../../../src/backend/backend.ts";

await initBackend("webgpu");
// deno-lint-ignore no-explicit-any
const backend = tf.backend() as any;
const device = backend.device as GPUDevice;
const times: Record<string, [number, number]> = {};
function timed(obj: Record<string, unknown>, name: string, label = name): void {
  const original = obj[name] as (...a: unknown[]) => unknown;
  obj[name] = function (this: unknown, ...a: unknown[]) {
    const t = performance.now();
    try {
      return original.apply(this, a);
    } finally {
      const e = times[label] ??= [0, 0];
      e[0] += performance.now() - t;
      e[1]++;
    }
  };
}
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
timed(device.queue as never, "submit", "queue.submit");
timed(device.queue as never, "writeBuffer", "queue.writeBuffer");
timed(device as never, "createBindGroup");
timed(g.GPUComputePipeline.prototype, "getBindGroupLayout");
timed(backend, "makeUniforms");
timed(backend, "runWebGPUProgram", "runWebGPUProgram (all of it)");

const n = Number(Deno.args[0] ?? 3000);
const size = Number(Deno.args[1] ?? 4096);
const one = tf.ones([size]);
let x = tf.zeros([size]);
for (let i = 0; i < 200; i++) [x] = [tf.add(x, one), x.dispose()];
await x.data();
for (const k of Object.keys(times)) delete times[k];
const t0 = performance.now();
for (let i = 0; i < n; i++) [x] = [tf.add(x, one), x.dispose()];
const host = performance.now() - t0;
await x.data();
const submit = times["queue.submit"]?.[0] ?? 0;
console.log(
  `${n} adds of ${size} floats: host ${(1000 * host / n).toFixed(1)} µs a dispatch, ` +
    `${(1000 * (host - submit) / n).toFixed(1)} µs outside queue.submit`,
);
for (const [k, [ms, calls]] of Object.entries(times)) {
  console.log(`  ${k}: ${calls} calls, ${(1000 * ms / n).toFixed(1)} µs a dispatch`);
}
