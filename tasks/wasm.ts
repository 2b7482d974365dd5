/**
 * `deno task wasm [--check]`: assembles the project's WebAssembly text sources
 * (`src/backend/simd_kernels.wat`, `src/backend/simd_exp.wat`) with wabt (npm) and writes each
 * module's bytes into `src/backend/simd_modules.ts` (between its `BEGIN GENERATED <file>` and
 * `END GENERATED` lines). `--check` only compares, exiting 1 when the embedded bytes differ from
 * the sources. The harness itself never needs wabt: it runs the embedded bytes.
 *
 * @module
 */
import { parseArgs } from "node:util";

const DIR = new URL("../src/backend/", import.meta.url);
const TARGET = new URL("simd_modules.ts", DIR);

/** The sources and the constant each is embedded as. */
export const WASM_SOURCES = [
  { file: "simd_kernels.wat", constant: "WASM_BASE64" },
  { file: "simd_exp.wat", constant: "EXP_BASE64" },
] as const;

type Source = (typeof WASM_SOURCES)[number];

function block(file: string): RegExp {
  const name = file.replace(/\./g, "\\.");
  return new RegExp(`(// BEGIN GENERATED ${name}\\n)[^]*?(// END GENERATED)`);
}

/**
 * A source assembled with SIMD enabled and relaxed SIMD off (its instructions' rounding is
 * implementation-defined, which made two identical runs differ), as base64.
 */
export async function assembleWasm(source: Source): Promise<string> {
  const { default: initWabt } = await import("npm:wabt@1.0.39");
  const wabt = await initWabt();
  const text = await Deno.readTextFile(new URL(source.file, DIR));
  const module = wabt.parseWat(source.file, text, { simd: true, relaxed_simd: false });
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

/** The base64 embedded in `simd_modules.ts` now for a source. */
export async function embeddedWasm(source: Source): Promise<string> {
  const text = await Deno.readTextFile(TARGET);
  const found = text.match(block(source.file))?.[0];
  if (found === undefined || !found.includes(source.constant)) {
    throw new Error(`${TARGET.pathname}: no generated ${source.constant} block`);
  }
  return [...found.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join("");
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { check: { type: "boolean" } } });
  let text = await Deno.readTextFile(TARGET);
  let stale = 0;
  for (const source of WASM_SOURCES) {
    const fresh = await assembleWasm(source);
    if (values.check) {
      if (fresh !== await embeddedWasm(source)) stale++;
      continue;
    }
    const lines = fresh.match(/.{1,92}/g) ?? [""];
    const literal = lines.length === 1
      ? `export const ${source.constant} = "${lines[0]}";\n`
      : `export const ${source.constant} =\n${lines.map((l) => `  "${l}"`).join(" +\n")};\n`;
    if (!block(source.file).test(text)) {
      throw new Error(`simd_modules.ts: no block for ${source.file}`);
    }
    text = text.replace(block(source.file), (_m, a, b) => `${a}${literal}${b}`);
    console.log(`${source.file}: ${fresh.length} base64 characters`);
  }
  if (values.check) {
    console.log(
      stale ? "simd_modules.ts differs: run deno task wasm" : "simd_modules.ts is up to date",
    );
    Deno.exit(stale ? 1 : 0);
  }
  await Deno.writeTextFile(TARGET, text);
}
