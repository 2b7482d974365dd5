/**
 * `deno task wasm [--check]`: assembles `src/backend/simd_kernels.wat` with wabt (npm) and writes
 * the module's bytes into `src/backend/simd_kernels.ts` (between its `BEGIN GENERATED` and
 * `END GENERATED` lines). `--check` only compares, exiting 1 when the embedded bytes differ from
 * the source. The harness itself never needs wabt: it runs the embedded bytes.
 *
 * @module
 */
import { parseArgs } from "node:util";

const SOURCE = new URL("../src/backend/simd_kernels.wat", import.meta.url);
const TARGET = new URL("../src/backend/simd_kernels.ts", import.meta.url);
const BLOCK = /(\/\/ BEGIN GENERATED simd_kernels\.wat\n)[^]*?(\/\/ END GENERATED)/;

/** The module assembled from the `.wat` source, as base64. */
export async function assembleSimdKernels(): Promise<string> {
  const { default: initWabt } = await import("npm:wabt@1.0.39");
  const wabt = await initWabt();
  const text = await Deno.readTextFile(SOURCE);
  const module = wabt.parseWat("simd_kernels.wat", text, { simd: true });
  try {
    module.validate();
    const { buffer } = module.toBinary({});
    let bin = "";
    for (const b of buffer) bin += String.fromCharCode(b);
    return btoa(bin);
  } finally {
    module.destroy();
  }
}

/** The base64 embedded in `simd_kernels.ts` now. */
export async function embeddedSimdKernels(): Promise<string> {
  const text = await Deno.readTextFile(TARGET);
  const block = text.match(BLOCK)?.[0];
  if (block === undefined || !block.includes("WASM_BASE64")) {
    throw new Error(`${TARGET.pathname}: no generated WASM_BASE64 block`);
  }
  return [...block.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join("");
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { check: { type: "boolean" } } });
  const fresh = await assembleSimdKernels();
  if (values.check) {
    const same = fresh === await embeddedSimdKernels();
    console.log(
      same ? "simd_kernels.ts is up to date" : "simd_kernels.ts differs: run deno task wasm",
    );
    Deno.exit(same ? 0 : 1);
  }
  const text = await Deno.readTextFile(TARGET);
  const lines = fresh.match(/.{1,92}/g) ?? [""];
  const literal = lines.length === 1
    ? `const WASM_BASE64 = "${lines[0]}";\n`
    : `const WASM_BASE64 =\n${lines.map((l) => `  "${l}"`).join(" +\n")};\n`;
  await Deno.writeTextFile(TARGET, text.replace(BLOCK, (_m, a, b) => `${a}${literal}${b}`));
  console.log(`wrote ${fresh.length} base64 characters to simd_kernels.ts`);
}
