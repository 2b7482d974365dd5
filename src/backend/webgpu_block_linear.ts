/**
 * GATr's block linear map on packed rows as WGSL programs for tfjs-backend-webgpu, under the
 * names of the wasm kernels of {@link ./block_linear.ts} (`RemulBlockLinear`,
 * `RemulBlockLinearGrad`, same inputs, attributes and outputs):
 *
 * `y[t] = [x₀[t]·M0 + b | x₁[t]·M1 | … | x_R[t]·M1]`,
 *
 * `x [T, k0 + R·k1]`, `M0 [k0, n0]`, `M1 [k1, n1]`, `b [n0]`. Composed from tfjs ops it is a
 * split, a reshape, two matMuls, a bias add and a concat forward, and two splits, four matMuls, a
 * sum and a concat backward (`equiLinearInternal` in `src/models/gatr/equi_linear_layer.ts`);
 * here every program reads its blocks of `x` and `dy` in place through the row widths.
 *
 * Every product is computed in tiles of 4 × 4 elements, one tile an invocation: each step of
 * the sum loads four values of each factor and does sixteen multiply-adds, in registers. A tile
 * never straddles two blocks (each block's columns are tiled on their own).
 *
 * - Forward: one program, `y` tile by tile (the head block, then each repeated block).
 * - Gradient: one kernel of up to six programs. `dx` tile by tile (`dx₀ = dy₀·M0ᵀ`,
 *   `dx_r = dy_r·M1ᵀ`). The sums over rows, `[dM0; db] = [x₀ | 1]ᵀ·dy₀` (the bias as one more
 *   row of ones) and `dM1 = Σ_r x_rᵀ·dy_r` (over the `T·R` rows of the repeated blocks), are
 *   split into parts of at least 64 rows, enough parts for some 8,192 invocations (a large batch
 *   still fills the GPU when the matrices are small), each part written to a scratch tensor;
 *   then one program per output adds the parts up. With one part, `dM1` is written directly.
 *
 * Inputs of size zero (`k0`, `k1` or `n0` zero, or no rows) are bound as one zero float: a
 * WebGPU binding cannot be empty, and the loops read none of it.
 *
 * @module
 */
import {
  copyOut,
  type ProgramSpec,
  registerWebGpuKernels,
  run,
  sizeOf,
  type TensorInfo,
  type Uniform,
  view,
  type WebGPUBackend,
} from "./_webgpu_program.ts";
import {
  BLOCK_LINEAR,
  BLOCK_LINEAR_GRAD,
  type BlockLinearDims,
  blockLinearDims,
} from "./block_linear.ts";

const WORKGROUP = 64;
/** Tile side: a tile is `TILE × TILE` elements of a product. */
const TILE = 4;
/** Fewest rows a part of a sum over rows takes. */
const MIN_PART_ROWS = 64;
/** Invocations the parts of a sum over rows aim for. */
const TARGET_INVOCATIONS = 8192;

/** The same fields for every program; the last four only for the sums over rows. */
const UNIFORMS = "rows : i32, k0 : i32, n0 : i32, k1 : i32, n1 : i32, repeats : i32, " +
  "wIn : i32, wOut : i32, count : i32, partRows : i32, parts : i32, stride : i32, offset : i32,";

/** A program's own uniforms: its invocations and, for the sums over rows, their parts. */
interface Extra {
  count: number;
  partRows?: number;
  parts?: number;
  stride?: number;
  offset?: number;
}

function uniforms(d: BlockLinearDims, e: Extra): Uniform[] {
  const fields = [d.t, d.k0, d.n0, d.k1, d.n1, d.repeats, d.wIn, d.wOut, e.count];
  return [...fields, e.partRows ?? 0, e.parts ?? 0, e.stride ?? 0, e.offset ?? 0].map((v) => ({
    type: "int32" as const,
    data: [v],
  }));
}

const tiles = (n: number) => Math.ceil(n / TILE);
const range = Array.from({ length: TILE }, (_, i) => i);

/**
 * WGSL: the sum loop of one tile. `acc0`…`acc3` (one `vec4` per tile row, over the tile's four
 * columns) accumulate `a(row)·b` over `s` in `[from, to)`; `a(row)` is tile row `row`'s factor
 * and `b` the `vec4` of the other factor's four columns, both WGSL expressions in `s` and in
 * what `step` (WGSL run first in each step) defines.
 */
function tileSum(
  [from, to]: [string, string],
  a: (row: number) => string,
  b: string,
  step = "",
): string {
  return `${range.map((r) => `var acc${r} = vec4<f32>();`).join(" ")}
      for (var s = ${from}; s < ${to}; s++) {
        ${step}
        let bs = ${b};
        ${range.map((r) => `acc${r} += ${a(r)} * bs;`).join("\n        ")}
      }`;
}

/** WGSL: `name0`…`name3`, the tile's four indices from `first`, clamped to `[0, last]`. */
function clamped(name: string, first: string, last: string): string {
  return range.map((i) => `let ${name}${i} = clamp(${first} + ${i}, 0, max(${last}, 0));`)
    .join("\n      ");
}

/** WGSL: `vec4` of `array[index(c)]` over the tile's four columns. */
function vec4Of(index: (c: number) => string): string {
  return `vec4<f32>(${range.map(index).join(", ")})`;
}

/**
 * WGSL: stores the tile `acc0`…`acc3` (+ `add`) at rows `row0 + r < rows`, columns
 * `col0 + c < cols`, element `(row, col)` at `at(row, col)`.
 */
function storeTile(
  [row0, rows]: [string, string],
  [col0, cols]: [string, string],
  at: (row: string, col: string) => string,
  add = "",
): string {
  const element = (r: number, c: number) =>
    `if (${col0} + ${c} < ${cols}) { result[${
      at(`(${row0} + ${r})`, `(${col0} + ${c})`)
    }] = v[${c}]; }`;
  return range.map((r) =>
    `if (${row0} + ${r} < ${rows}) {
        let v = acc${r}${add};
        ${range.map((c) => element(r, c)).join("\n        ")}
      }`
  ).join("\n      ");
}

/**
 * The head block and the R repeated blocks of a product over rows `[T, ·]`, tiled: invocation
 * `index` takes row tile `index / colTiles` and column tile `index % colTiles`, the head's
 * column tiles first. `head` and `repeat` are the WGSL of each case, given `t0` (first row of
 * the tile), `j` (first column in the block) and, for `repeat`, `r`.
 */
function blockTiles(headCols: string, repCols: string, head: string, repeat: string): string {
  return `
  fn main(index : i32) {
    let headTiles = (${headCols} + ${TILE - 1}) / ${TILE};
    let repTiles = (${repCols} + ${TILE - 1}) / ${TILE};
    let colTiles = headTiles + uniforms.repeats * repTiles;
    if (index >= uniforms.count) {
      return;
    }
    let rowTile = index / colTiles;
    let colTile = index - rowTile * colTiles;
    let t0 = rowTile * ${TILE};
    if (colTile < headTiles) {
      let j = colTile * ${TILE};
      ${head}
    } else {
      let c = colTile - headTiles;
      let r = c / repTiles;
      let j = (c - r * repTiles) * ${TILE};
      ${repeat}
    }
  }`;
}

function blockTileCount(d: BlockLinearDims, headCols: number, repCols: number): number {
  return tiles(d.t) * (tiles(headCols) + d.repeats * tiles(repCols));
}

/** A program and the number of invocations it needs (its `count` uniform). */
interface Launch {
  spec: ProgramSpec;
  count: number;
}

/**
 * A program of `count` invocations in workgroups of {@linkcode WORKGROUP}; `code` builds its
 * WGSL, called only when the pipeline is compiled (the text depends on the key alone).
 */
function launch(
  key: string,
  inputs: string[],
  outputShape: number[],
  count: number,
  code: () => string,
): Launch {
  const workgroups = Math.ceil(count / WORKGROUP);
  return {
    spec: { key, inputs, outputShape, workgroup: WORKGROUP, workgroups, uniforms: UNIFORMS, code },
    count,
  };
}

/** WGSL: `row0`…`row3`, the tile's rows from `t0` (clamped), and where they start in `name`. */
function tileRows(name: string, width: string): string {
  return `${clamped("row", "t0", "uniforms.rows - 1")}
      ${range.map((r) => `let ${name}${r} = row${r} * ${width};`).join("\n      ")}`;
}

/** `y [T, wOut]`: `y₀ = x₀·M0 + b`, `y_r = x_r·M1`. */
function forward(d: BlockLinearDims): Launch {
  return launch(
    "remul_block_linear",
    ["x", "m0", "m1", "b"],
    [d.t, d.wOut],
    blockTileCount(d, d.n0, d.n1),
    forwardCode,
  );
}

function forwardCode(): string {
  const store = (yOff: string, cols: string, add = "") =>
    storeTile(
      ["t0", "uniforms.rows"],
      ["j", cols],
      (t, c) => `${t} * uniforms.wOut + ${yOff} + ${c}`,
      add,
    );
  const head = `${tileRows("xr", "uniforms.wIn")}
      ${clamped("j", "j", "uniforms.n0 - 1")}
      ${
    tileSum(
      ["0", "uniforms.k0"],
      (row) => `x[xr${row} + s]`,
      vec4Of((c) => `m0[s * uniforms.n0 + j${c}]`),
    )
  }
      let bias = ${vec4Of((c) => `b[j${c}]`)};
      ${store("0", "uniforms.n0", " + bias")}`;
  const repeat = `${tileRows("xr", "uniforms.wIn")}
      ${clamped("j", "j", "uniforms.n1 - 1")}
      let first = uniforms.k0 + r * uniforms.k1;
      ${
    tileSum(
      ["0", "uniforms.k1"],
      (row) => `x[xr${row} + first + s]`,
      vec4Of((c) => `m1[s * uniforms.n1 + j${c}]`),
    )
  }
      ${store("uniforms.n0 + r * uniforms.n1", "uniforms.n1")}`;
  return blockTiles("uniforms.n0", "uniforms.n1", head, repeat);
}

/** `dx [T, wIn]`: `dx₀ = dy₀·M0ᵀ`, `dx_r = dy_r·M1ᵀ`. */
function dxProgram(d: BlockLinearDims): Launch {
  return launch(
    "remul_block_linear_dx",
    ["dy", "m0", "m1"],
    [d.t, d.wIn],
    blockTileCount(d, d.k0, d.k1),
    dxCode,
  );
}

function dxCode(): string {
  const store = (xOff: string, cols: string) =>
    storeTile(
      ["t0", "uniforms.rows"],
      ["j", cols],
      (t, c) => `${t} * uniforms.wIn + ${xOff} + ${c}`,
    );
  const head = `${tileRows("yr", "uniforms.wOut")}
      ${clamped("j", "j", "uniforms.k0 - 1")}
      ${
    tileSum(
      ["0", "uniforms.n0"],
      (row) => `dy[yr${row} + s]`,
      vec4Of((c) => `m0[j${c} * uniforms.n0 + s]`),
    )
  }
      ${store("0", "uniforms.k0")}`;
  const repeat = `${tileRows("yr", "uniforms.wOut")}
      ${clamped("j", "j", "uniforms.k1 - 1")}
      let first = uniforms.n0 + r * uniforms.n1;
      ${
    tileSum(
      ["0", "uniforms.n1"],
      (row) => `dy[yr${row} + first + s]`,
      vec4Of((c) => `m1[j${c} * uniforms.n1 + s]`),
    )
  }
      ${store("uniforms.k0 + r * uniforms.k1", "uniforms.k1")}`;
  return blockTiles("uniforms.k0", "uniforms.k1", head, repeat);
}

/** How a sum over `rows` rows into a `[k, n]` matrix is split into parts. */
function partsFor(rows: number, k: number, n: number): { parts: number; partRows: number } {
  const byRows = Math.ceil(rows / MIN_PART_ROWS);
  const byInvocations = Math.ceil(TARGET_INVOCATIONS / Math.max(1, tiles(k) * tiles(n)));
  const parts = Math.max(1, Math.min(byRows, byInvocations));
  return { parts, partRows: Math.ceil(rows / parts) };
}

/** How a sum over rows is split: `parts` parts of `partRows` rows (the last one shorter). */
interface Split {
  parts: number;
  partRows: number;
}

/**
 * Parts of a sum over rows into `[parts, k, n]` (`k`, `n` WGSL expressions of the `shape`):
 * invocation `index` takes part `index / (tiles of k·n)` and one tile of it; `sum` builds the WGSL of
 * the tile's loop, given `i` and `j` (the tile's first row and column of the `[k, n]` matrix) and
 * `first` (the part's first row).
 */
function partsProgram(
  key: string,
  [k, n]: [string, string],
  shape: [number, number],
  split: Split,
  sum: () => string,
): Launch {
  return launch(
    key,
    ["x", "dy"],
    [split.parts, ...shape],
    split.parts * tiles(shape[0]) * tiles(shape[1]),
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let k = ${k};
    let n = ${n};
    let colTiles = (n + ${TILE - 1}) / ${TILE};
    let perPart = colTiles * ((k + ${TILE - 1}) / ${TILE});
    let part = index / perPart;
    let tile = index - part * perPart;
    let i = (tile / colTiles) * ${TILE};
    let j = (tile - (tile / colTiles) * colTiles) * ${TILE};
    let first = part * uniforms.partRows;
    ${sum()}
    ${storeTile(["i", "k"], ["j", "n"], (a, b) => `(part * k + ${a}) * n + ${b}`)}
  }`,
  );
}

/** `[dM0; db]` in parts: `Σ_t [x₀[t] | 1]ᵀ·dy₀[t]`, `[parts, k0 + 1, n0]`. */
function headParts(d: BlockLinearDims, split: Split): Launch {
  // row k0 of the tile's first factor is the bias's row of ones
  const sum = () =>
    `${clamped("i", "i", "uniforms.k0 - 1")}
    ${clamped("j", "j", "uniforms.n0 - 1")}
    ${range.map((r) => `let one${r} = i + ${r} == uniforms.k0;`).join("\n    ")}
    let to = min(first + uniforms.partRows, uniforms.rows);
    ${
      tileSum(
        ["first", "to"],
        (row) => `select(x[s * uniforms.wIn + i${row}], 1.0, one${row})`,
        vec4Of((c) => `dy[s * uniforms.wOut + j${c}]`),
      )
    }`;
  return partsProgram(
    "remul_block_linear_dm0",
    ["uniforms.k0 + 1", "uniforms.n0"],
    [d.k0 + 1, d.n0],
    split,
    sum,
  );
}

/** `dM1` in parts: `Σ_(t, r) x_r[t]ᵀ·dy_r[t]`, `[parts, k1, n1]`, over rows `u = t·R + r`. */
function repeatParts(d: BlockLinearDims, split: Split): Launch {
  const sum = () =>
    `${clamped("i", "i", "uniforms.k1 - 1")}
    ${clamped("j", "j", "uniforms.n1 - 1")}
    let to = min(first + uniforms.partRows, uniforms.rows * uniforms.repeats);
    ${
      tileSum(
        ["first", "to"],
        (row) => `x[xu + i${row}]`,
        vec4Of((c) => `dy[yu + j${c}]`),
        `let t = s / uniforms.repeats;
        let r = s - t * uniforms.repeats;
        let xu = t * uniforms.wIn + uniforms.k0 + r * uniforms.k1;
        let yu = t * uniforms.wOut + uniforms.n0 + r * uniforms.n1;`,
      )
    }`;
  return partsProgram(
    "remul_block_linear_dm1",
    ["uniforms.k1", "uniforms.n1"],
    [d.k1, d.n1],
    split,
    sum,
  );
}

/** `out[e] = Σ_p partial[p·stride + offset + e]`: a matrix added up from its parts. */
function addParts(shape: number[]): Launch {
  return launch(
    "remul_block_linear_add_parts",
    ["partial"],
    shape,
    sizeOf(shape),
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    var acc = 0.0;
    for (var p = 0; p < uniforms.parts; p++) {
      acc += partial[p * uniforms.stride + uniforms.offset + index];
    }
    result[index] = acc;
  }`,
  );
}

/**
 * Runs the programs of one kernel call: inputs of size zero are bound as one zero float (a
 * WebGPU binding cannot be empty); `dispose` frees it, and the scratch tensors handed to `own`,
 * once the programs are recorded.
 */
function scratch(backend: WebGPUBackend) {
  const owned: TensorInfo[] = [];
  let zero: TensorInfo | undefined;
  const bindable = (t: TensorInfo) => {
    if (sizeOf(t.shape) > 0) return t;
    if (!zero) {
      zero = backend.makeTensorInfo([1], "float32", new Float32Array(1)) as TensorInfo;
      owned.push(zero);
    }
    return zero;
  };
  return {
    run(d: BlockLinearDims, l: Launch, inputs: TensorInfo[], extra: Omit<Extra, "count"> = {}) {
      return run(backend, l.spec, inputs.map(bindable), uniforms(d, { ...extra, count: l.count }));
    },
    own(t: TensorInfo): TensorInfo {
      owned.push(t);
      return t;
    },
    dispose() {
      for (const t of owned) backend.disposeData(t.dataId);
    },
  };
}

type Attrs = { repeats: number };

function forwardKernel({ inputs, backend, attrs }: {
  inputs: { x: TensorInfo; m0: TensorInfo; m1: TensorInfo; b: TensorInfo };
  backend: WebGPUBackend;
  attrs: Attrs;
}): TensorInfo {
  const { x, m0, m1, b } = inputs;
  const d = blockLinearDims(x, m0, m1, attrs.repeats);
  const s = scratch(backend);
  const y = s.run(d, forward(d), [x, m0, m1, b]);
  s.dispose();
  return y;
}

function gradKernel({ inputs, backend, attrs }: {
  inputs: { x: TensorInfo; m0: TensorInfo; m1: TensorInfo; dy: TensorInfo };
  backend: WebGPUBackend;
  attrs: Attrs;
}): TensorInfo[] {
  const { x, m0, m1, dy } = inputs;
  const d = blockLinearDims(x, m0, m1, attrs.repeats);
  const s = scratch(backend);
  const dx = s.run(d, dxProgram(d), [dy, m0, m1]);
  const addUp = (parts: TensorInfo, split: Split, shape: number[], offset: number) =>
    s.run(d, addParts(shape), [parts], {
      parts: split.parts,
      stride: sizeOf(parts.shape) / split.parts,
      offset,
    });
  // [dM0; db] in parts, added up as one array (or read as it is when it is one part), then
  // copied out into dM0 and db by buffer copies (no program)
  const head = partsFor(d.t, d.k0 + 1, d.n0);
  const dm0db = s.own(s.run(d, headParts(d, head), [x, dy], { partRows: head.partRows }));
  const both = head.parts === 1 ? dm0db : s.own(addUp(dm0db, head, [(d.k0 + 1) * d.n0], 0));
  const dm0 = copyOut(backend, both, 0, [d.k0, d.n0]);
  const db = copyOut(backend, both, d.k0 * d.n0, [d.n0]);
  // dM1 likewise, written directly when it is one part
  const rep = partsFor(d.t * d.repeats, d.k1, d.n1);
  const dm1Parts = s.run(d, repeatParts(d, rep), [x, dy], { partRows: rep.partRows });
  const dm1 = rep.parts === 1
    ? view(dm1Parts, [d.k1, d.n1])
    : addUp(s.own(dm1Parts), rep, [d.k1, d.n1], 0);
  s.dispose();
  return [dx, dm0, dm1, db];
}

/**
 * Registers `RemulBlockLinear` and `RemulBlockLinearGrad` for webgpu; idempotent. The kernels
 * need tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both); with them,
 * `blockLinearAvailable()` is true on webgpu and GATr's equivariant linear maps use them.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuBlockLinear } from "./webgpu_block_linear.ts";
 * installWebGpuBlockLinear();
 * if (!tf.getKernel("RemulBlockLinearGrad", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuBlockLinear(): void {
  registerWebGpuKernels({ [BLOCK_LINEAR]: forwardKernel, [BLOCK_LINEAR_GRAD]: gradKernel });
}
