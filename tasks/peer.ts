/**
 * `deno task peer`: times the same architectures here (tfjs) and in PyTorch on the same machine,
 * with the same thread count, and prints a Markdown table of training step (plain and REMUL β=1)
 * and inference times with the ratio ours / PyTorch. Run with `--help` for the flags.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { BACKEND_REQUESTS, type BackendRequest, chooseBackend } from "../src/backend/backend.ts";
import { gitCommit } from "../src/runner/environment.ts";
import { type PeerRecord, runPeer, startOurBackend } from "../src/peer/run_peer.ts";
import { peerRoundsSummary, peerRoundsTable, peerTable } from "../src/peer/peer_table.ts";
import { findTorchPython, TORCH_INSTALL_HINT, type TorchHello } from "../src/peer/torch_peer.ts";
import { SCALES } from "../src/runner/suite.ts";
import { TFJS_VERSION } from "../src/tf.ts";
import { PEER_WORKLOADS } from "../bench/peer.ts";
import { CliError, formatDuration, parseCli, runCli } from "./_cli.ts";

const MODELS = [...new Set(PEER_WORKLOADS.map((w) => w.model))];

const HELP = `Usage: deno task peer [options]

Times each model here (tfjs, through the registry and the harness's training loop) and in
PyTorch (peer/torch_peer.py, same architecture, same weights, same data) on this machine:
training step (plain, and REMUL β=1: a 2B forward), inference, and the ratio ours / PyTorch.
Needs a Python with torch (Debian: apt-get install python3-torch libopenblas0-pthread).

Options:
  --models LIST     comma-separated: ${MODELS.join(", ")} (default: all)
  --configs LIST    comma-separated scales: ${SCALES.join(", ")} (default: Transformer small and
                    paper, the others small)
  --backend B       ${BACKEND_REQUESTS.join(" | ")} (default: wasm)
  --batch N         batch size for every model (default: the suite's at that scale)
  --repeats N       timed steps and forward passes (default: 10)
  --rounds N        run the whole comparison N times back to back and add a table of the median
                    ratio of the rounds with their range (default: 1; one run's ratios spread
                    widely on a machine whose speed drifts)
  --warmup N        untimed steps after the first, and forward passes (default: 2)
  --threads N       CPU threads on both sides (default: 1; our wasm backend runs on 1)
  --python PATH     Python with torch (default: $REMUL_PYTHON, else python3, /usr/bin/python3)
  --json FILE       also write the records as JSON
  --probe           only find the Python with torch, print it and exit (2 when there is none)
  -h, --help        this text
`;

function positiveInt(flag: string, value: string | boolean | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(
      `--${flag}: expected an integer ≥ ${min}, got "${value}"`,
    );
  }
  return n;
}

function list(flag: string, value: string, accepted: readonly string[]): string[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = items.filter((s) => !accepted.includes(s));
  if (items.length === 0 || bad.length > 0) {
    throw new CliError(
      `--${flag}: unknown value${bad.length > 1 ? "s" : ""} "${bad.join(",") || value}"; ` +
        `accepted: ${accepted.join(", ")}`,
    );
  }
  return items;
}

async function main(): Promise<number> {
  const { values: a } = parseCli(Deno.args, {
    models: { type: "string" },
    configs: { type: "string" },
    backend: { type: "string", default: "wasm" },
    batch: { type: "string" },
    repeats: { type: "string", default: "10" },
    rounds: { type: "string", default: "1" },
    warmup: { type: "string", default: "2" },
    threads: { type: "string", default: "1" },
    python: { type: "string" },
    json: { type: "string" },
    probe: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const models = a.models === undefined ? MODELS : list("models", a.models as string, MODELS);
  const configs = a.configs === undefined
    ? undefined
    : list("configs", a.configs as string, SCALES);
  if (!BACKEND_REQUESTS.includes(a.backend as BackendRequest)) {
    throw new CliError(
      `--backend: unknown backend "${a.backend}"; accepted: ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  const batch = a.batch === undefined ? undefined : positiveInt("batch", a.batch);
  const repeats = positiveInt("repeats", a.repeats);
  const rounds = positiveInt("rounds", a.rounds);
  const warmup = positiveInt("warmup", a.warmup, 0);
  const threads = positiveInt("threads", a.threads);
  const workloads = PEER_WORKLOADS.filter((w) =>
    models.includes(w.model) && (configs ? configs.includes(w.config) : w.byDefault)
  );
  if (workloads.length === 0) {
    throw new CliError(`--configs: none of ${configs} is defined for ${models.join(", ")}`);
  }

  if (a.json !== undefined) {
    const dir = dirname(resolve(a.json as string));
    const ok = await Deno.stat(dir).then((s) => s.isDirectory, () => false);
    if (!ok) throw new CliError(`--json: folder "${dir}" does not exist`);
  }

  const named = (a.python as string | undefined) ?? Deno.env.get("REMUL_PYTHON") ?? undefined;
  const search = await findTorchPython(named || undefined);
  if (!search.found) {
    const tried = search.tried.map((t) => `${t.python}: ${t.reason}`).join("; ");
    throw new CliError(`PyTorch is not available (${tried}).\n${TORCH_INSTALL_HINT}`);
  }
  const python = search.python;
  console.error(
    `peer: PyTorch ${python.torch} from ${python.python} (Python ${python.pythonVersion})`,
  );
  if (a.probe) return 0;

  const choice = await chooseBackend(a.backend as BackendRequest).catch((e) => {
    throw new CliError((e as Error).message);
  });
  const backend = await startOurBackend(choice, threads);
  if (
    backend.threads !== null && backend.threads !== threads && backend.blas?.threads !== threads
  ) {
    throw new CliError(
      `--threads ${threads}: our ${choice.name} backend runs on ${backend.threads} thread` +
        `${backend.threads === 1 ? "" : "s"} here (${
          choice.name === "wasm"
            ? "tfjs-backend-wasm has no threads under Deno, and no OpenBLAS is in use"
            : "the cpu backend is JavaScript on one thread"
        }), so the sides would differ; use --threads ${backend.threads}`,
    );
  }
  for (const line of backend.kernels) console.error(`peer: kernels: ${line}`);
  console.error(
    `peer: backend ${choice.name} (${choice.reason}); ${workloads.length} models; ` +
      `threads ${threads}; ${repeats} timed steps after ${warmup} warm-up`,
  );
  const started = performance.now();
  let hello: TorchHello | undefined;
  const all: PeerRecord[][] = [];
  for (let round = 0; round < rounds; round++) {
    const tag = rounds > 1 ? `round ${round + 1}/${rounds}: ` : "";
    all.push(
      await runPeer(workloads, {
        backend,
        python,
        threads,
        batch,
        repeats,
        warmup,
        onTorchStart: (h) => {
          hello = h;
          console.error(
            `peer: ${tag}PyTorch process: ${h.threads} intra-op, ${h.interopThreads} inter-op ` +
              `threads, ${h.device}, ${h.dtype}`,
          );
        },
        onProgress: (line) =>
          console.error(`peer: [${formatDuration(performance.now() - started)}] ${tag}${line}`),
      }),
    );
  }
  const records = all[0];
  const torch = hello!;
  for (const [k, round] of all.entries()) {
    if (rounds > 1) console.log(`### Round ${k + 1} of ${rounds}\n`);
    console.log(peerTable(round, { backend, tfjs: TFJS_VERSION, torch, repeats, warmup }));
  }
  if (rounds > 1) console.log(peerRoundsTable(all));
  if (a.json) {
    const doc = {
      command: "peer",
      date: new Date().toISOString(),
      gitCommit: await gitCommit(),
      deno: Deno.version.deno,
      tfjs: TFJS_VERSION,
      backend: {
        ...choice,
        threads: backend.threads,
        blas: backend.blas,
        kernels: backend.kernels,
      },
      torch: { ...torch, pythonPath: python.python },
      cpus: navigator.hardwareConcurrency,
      repeats,
      warmup,
      records,
      ...(rounds > 1 ? { rounds: all, summary: peerRoundsSummary(all) } : {}),
    };
    await Deno.writeTextFile(a.json as string, JSON.stringify(doc, null, 2) + "\n").catch((e) => {
      throw new CliError(`--json: cannot write "${a.json}": ${(e as Error).message}`);
    });
    console.error(`peer: wrote ${a.json}`);
  }
  return 0;
}

if (import.meta.main) await runCli("peer", main);
