/**
 * The peer comparison as Markdown: a header naming both sides, their thread counts and the
 * protocol, and one row per workload with step, REMUL step and inference times and ratios.
 *
 * @module
 */
import type { OurBackend, PeerRecord } from "./run_peer.ts";
import type { TorchHello } from "./torch_peer.ts";

/** What the table's header states about the two sides. */
export interface PeerTableContext {
  /** Our backend and threads. */
  readonly backend: OurBackend;
  /** tfjs version. */
  readonly tfjs: string;
  /** What the PyTorch process reported. */
  readonly torch: TorchHello;
  /** Timed steps and forward passes. */
  readonly repeats: number;
  /** Untimed steps after the cold first, and untimed forward passes. */
  readonly warmup: number;
}

function ms(v: number): string {
  if (!Number.isFinite(v)) return "–";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function ratio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : "–";
}

/** `3 × 64` for a Transformer config and similar for the others; else `k=v` pairs. */
function describeConfig(r: PeerRecord): string {
  const c = r.modelConfig;
  switch (r.model) {
    case "transformer":
      return `${c.blocks} × ${c.channels}`;
    case "gnn":
    case "egnn":
    case "mlp":
      return `${c.layers} × ${c.hidden}`;
    default:
      return Object.entries(c).map(([k, v]) => `${k}=${v}`).join(", ");
  }
}

/**
 * Formats the comparison.
 *
 * @param records one per workload, from `runPeer`.
 * @param ctx both sides' versions and threads, repeats and warm-up.
 * @returns Markdown: a heading, a paragraph on the setup, the table.
 *
 * @example
 * ```ts
 * import { peerTable } from "./peer_table.ts";
 * const md = peerTable([], {
 *   backend: {
 *     choice: { name: "wasm", requested: "wasm", adapter: null, reason: "requested" },
 *     threads: 1,
 *     blas: null,
 *     kernels: [],
 *   },
 *   tfjs: "4.22.0",
 *   torch: { torch: "2.0", python: "3.11", threads: 1, interopThreads: 1, device: "cpu", dtype: "torch.float32", blas: "open" },
 *   repeats: 10,
 *   warmup: 2,
 * });
 * console.log(md.includes("| model |")); // true
 * ```
 */
export function peerTable(records: readonly PeerRecord[], ctx: PeerTableContext): string {
  const b = ctx.backend;
  const plural = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;
  const ourThreads = b.threads === null
    ? `${b.choice.name} (GPU)`
    : b.blas
    ? b.blas.threads === b.threads
      ? `${plural(b.threads)} (${b.choice.name}; larger matrix products on OpenBLAS, ` +
        `${plural(b.blas.threads)})`
      : `${b.choice.name} kernels on ${plural(b.threads)}, larger matrix products on OpenBLAS ` +
        `with ${plural(b.blas.threads)}`
    : `${plural(b.threads)} (${b.choice.name})`;
  const t = ctx.torch;
  const lines = [
    `## Peer comparison: tfjs ${ctx.tfjs} (${b.choice.name}) vs PyTorch ${t.torch} (${t.device})`,
    "",
    `Threads: ours ${ourThreads}; PyTorch ${t.threads} intra-op thread${
      t.threads === 1 ? "" : "s"
    } (torch.set_num_threads, OMP/OpenBLAS/MKL_NUM_THREADS=${t.threads}), ${t.interopThreads} ` +
    `inter-op, BLAS ${t.blas}. Backend: ${b.choice.name} (${b.choice.reason}). float32 on both sides, same ` +
    `data, same initial weights (forward outputs checked equal), Adam, the suite's gradient ` +
    `clip. Times in ms: median of ${ctx.repeats} steps after the cold first step and ` +
    `${ctx.warmup} warm-up steps; REMUL = α=1, β=1 (the batch and a rotated copy, one forward of ` +
    `2B); inference = one forward of a batch, median of ${ctx.repeats} after ${ctx.warmup} ` +
    `warm-up. Ratio = ours / PyTorch (above 1: ours is slower).`,
    "",
    "| model | config | data | batch | params | step ours | step torch | ratio | REMUL ours | " +
    "REMUL torch | ratio | infer ours | infer torch | ratio | fwd Δ |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | " +
    "---: | ---: |",
    ...records.map((r) =>
      `| ${r.model} | ${r.config} ${describeConfig(r)} | ${r.data} | ${r.batch} | ` +
      `${r.params.ours.toLocaleString("en-US")} | ${ms(r.ours.plainStep.median)} | ` +
      `${ms(r.torch.plainStep.median)} | ${ratio(r.ratio.plainStep)} | ` +
      `${ms(r.ours.remulStep.median)} | ${ms(r.torch.remulStep.median)} | ` +
      `${ratio(r.ratio.remulStep)} | ${ms(r.ours.infer.median)} | ${ms(r.torch.infer.median)} | ` +
      `${ratio(r.ratio.infer)} | ${r.forwardRelDiff.toExponential(0)} |`
    ),
  ];
  return lines.join("\n") + "\n";
}

/** The three timed passes of a comparison. */
const PASSES = ["plainStep", "remulStep", "infer"] as const;

/** One cell of {@linkcode peerRoundsTable}: the median ratio over rounds and its range. */
export interface PeerRoundsCell {
  /** Median of the rounds' ratios. */
  readonly ratio: number;
  readonly min: number;
  readonly max: number;
  /** Our and PyTorch's medians (ms) in the round whose ratio is the median. */
  readonly ours: number;
  readonly torch: number;
}

/** Per workload, per pass, the median over rounds (workloads keyed `model/config`). */
export function peerRoundsSummary(
  rounds: readonly (readonly PeerRecord[])[],
): { model: string; config: string; cells: Record<(typeof PASSES)[number], PeerRoundsCell> }[] {
  if (rounds.length === 0) return [];
  return rounds[0].map((first) => {
    const same = rounds.map((rs) =>
      rs.find((r) => r.model === first.model && r.config === first.config)
    );
    if (same.some((r) => r === undefined)) {
      throw new Error(`peer rounds: ${first.model}/${first.config} is missing from a round`);
    }
    const records = same as PeerRecord[];
    const cells = Object.fromEntries(PASSES.map((pass) => {
      const order = [...records].sort((a, b) => a.ratio[pass] - b.ratio[pass]);
      // the lower median for an even count: a round that ran, not an average of two
      const mid = order[(order.length - 1) >> 1];
      return [pass, {
        ratio: mid.ratio[pass],
        min: order[0].ratio[pass],
        max: order[order.length - 1].ratio[pass],
        ours: mid.ours[pass].median,
        torch: mid.torch[pass].median,
      }];
    })) as Record<(typeof PASSES)[number], PeerRoundsCell>;
    return { model: first.model, config: first.config, cells };
  });
}

/**
 * The rounds of `deno task peer --rounds N` in one table: per workload and pass, our and
 * PyTorch's milliseconds of the median round and the median ratio with the rounds' range. One
 * run's ratios spread widely on a machine whose speed drifts; the median of rounds run back to
 * back is the number to quote.
 *
 * @example
 * ```ts
 * import { peerRoundsTable } from "./peer_table.ts";
 * console.log(peerRoundsTable([]).includes("median ratio")); // true
 * ```
 */
export function peerRoundsTable(rounds: readonly (readonly PeerRecord[])[]): string {
  const cell = (c: PeerRoundsCell) =>
    `${ms(c.ours)} / ${ms(c.torch)} | **${ratio(c.ratio)}** (${ratio(c.min)}–${ratio(c.max)})`;
  return [
    `## Peer comparison over ${rounds.length} rounds: median ratio (range)`,
    "",
    "| model | config | step ours / torch | ratio | REMUL ours / torch | ratio | infer ours / torch | " +
    "ratio |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...peerRoundsSummary(rounds).map((w) =>
      `| ${w.model} | ${w.config} | ${cell(w.cells.plainStep)} | ${cell(w.cells.remulStep)} | ${
        cell(w.cells.infer)
      } |`
    ),
  ].join("\n") + "\n";
}
