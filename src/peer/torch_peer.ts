/**
 * The PyTorch side of the peer comparison: finds a Python that has torch, and drives
 * `peer/torch_peer.py` (the PyTorch twins of our models) as a child process, one request at a
 * time over stdin/stdout: a JSON line, then the float32 arrays it describes.
 *
 * @module
 */
import type { FieldSpec } from "../symmetry/field.ts";
import type { RotationSpec } from "../symmetry/rotation.ts";
import type { PeerConstant } from "./constants.ts";

/** The script that holds the PyTorch models and their timing loop. */
export const TORCH_PEER_SCRIPT: string = new URL("../../peer/torch_peer.py", import.meta.url)
  .pathname;

/** How to get PyTorch, printed when no Python with torch is found. */
export const TORCH_INSTALL_HINT: string =
  "Install PyTorch: on Debian/Ubuntu `apt-get install python3-torch libopenblas0-pthread`, " +
  "elsewhere `pip install torch`; or name a Python that has it with --python PATH or " +
  "REMUL_PYTHON=PATH.";

/** A Python interpreter that imports torch. */
export interface TorchPython {
  /** The interpreter as it was invoked (a name on PATH or a path). */
  readonly python: string;
  /** `torch.__version__`. */
  readonly torch: string;
  /** Python's version. */
  readonly pythonVersion: string;
}

/** Result of {@linkcode findTorchPython}: the interpreter, or why each candidate failed. */
export type TorchPythonSearch =
  | { readonly found: true; readonly python: TorchPython }
  | { readonly found: false; readonly tried: readonly { python: string; reason: string }[] };

/** Candidates tried in order when no interpreter is named. */
export const DEFAULT_PYTHONS: readonly string[] = ["python3", "/usr/bin/python3"];

/**
 * Finds a Python that imports torch: the one named (`--python`, else `REMUL_PYTHON`), or the
 * first of {@link DEFAULT_PYTHONS} that works.
 *
 * @param named an interpreter to use instead of the defaults.
 * @returns the interpreter and versions, or every candidate with the reason it failed.
 */
export async function findTorchPython(named?: string): Promise<TorchPythonSearch> {
  const candidates = named ? [named] : DEFAULT_PYTHONS;
  const tried: { python: string; reason: string }[] = [];
  for (const python of candidates) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import sys, torch; print(torch.__version__); print(sys.version.split()[0])"],
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).output();
      const dec = new TextDecoder();
      if (out.success) {
        const [torch, pythonVersion] = dec.decode(out.stdout).trim().split("\n");
        return { found: true, python: { python, torch, pythonVersion } };
      }
      const lines = dec.decode(out.stderr).trim().split("\n");
      tried.push({ python, reason: lines[lines.length - 1] || `exit code ${out.code}` });
    } catch (e) {
      tried.push({
        python,
        reason: e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message,
      });
    }
  }
  return { found: false, tried };
}

/** What the PyTorch process says about itself when it starts. */
export interface TorchHello {
  /** `torch.__version__`. */
  readonly torch: string;
  /** Python's version. */
  readonly python: string;
  /** `torch.get_num_threads()` after `set_num_threads`. */
  readonly threads: number;
  /** `torch.get_num_interop_threads()`. */
  readonly interopThreads: number;
  /** Where the tensors live (`cpu`). */
  readonly device: string;
  /** `torch.get_default_dtype()`. */
  readonly dtype: string;
  /** The BLAS torch was built against (`BLAS_INFO` of its build configuration, e.g. `open`). */
  readonly blas: string;
}

/** A model for the PyTorch side to build, with our initial weights and the data. */
export interface TorchLoadRequest {
  /** Model id (`transformer`, `gnn`, `egnn`, `mlp`, `gatr`). */
  readonly model: string;
  /** The resolved model config (every key). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Input fields. */
  readonly inputs: readonly FieldSpec[];
  /** Target field. */
  readonly target: FieldSpec;
  /** The data set's fixed graph, if any. */
  readonly edges?: readonly (readonly [number, number])[];
  /** Rotations the training steps sample. */
  readonly rotations: RotationSpec;
  /** Seed of the PyTorch side's own initialisation and sampling. */
  readonly seed: number;
  /** Our parameters, in creation order, with their shapes. */
  readonly weights: readonly { values: Float32Array; shape: readonly number[] }[];
  /** A second weight set (same shapes) for the forward check, if any. */
  readonly probe?: readonly Float32Array[];
  /**
   * Constant tables the twin uses instead of rebuilding them (GATr's algebra, `constants.ts`),
   * sent as arrays `constants/<name>`.
   */
  readonly constants?: Readonly<Record<string, PeerConstant>>;
  /** Training split, `[size, ...shape]` per input field, flat. */
  readonly train: Readonly<Record<string, Float32Array>>;
  /** Training targets, flat. */
  readonly trainTarget: Float32Array;
  /** Samples in the training split. */
  readonly trainSize: number;
  /** The test batch, `[batch, ...shape]` per input field, flat. */
  readonly test: Readonly<Record<string, Float32Array>>;
  /** Samples in the test batch. */
  readonly testSize: number;
}

/** The PyTorch side's answer to a load. */
export interface TorchLoadAnswer {
  /** Trainable scalars of the PyTorch model, counted there. */
  readonly params: number;
  /** Number of parameter tensors. */
  readonly paramTensors: number;
  /** Its prediction on the test batch with our initial weights, flat (null for non-finite). */
  readonly prediction?: readonly (number | null)[];
  /** Its prediction with the probe weights, when they were sent. */
  readonly probePrediction?: readonly (number | null)[];
  /** Its auxiliary loss (GATr's regulariser) with our initial weights, for models that have one. */
  readonly auxLoss?: number | null;
  /** The same with the probe weights. */
  readonly probeAuxLoss?: number | null;
  /** Why the weights did not load (shapes differ), if they did not. */
  readonly error?: string;
}

/** Timing settings sent with a time request. */
export interface TorchTimeRequest {
  /** Samples per training step. */
  readonly batch: number;
  /** Steps after the cold first step left out. */
  readonly warmup: number;
  /** Steps timed. */
  readonly repeats: number;
  /** Untimed forward passes. */
  readonly inferenceWarmup: number;
  /** Timed forward passes. */
  readonly inferenceRepeats: number;
  /** Adam learning rate. */
  readonly lr: number;
  /** Global-norm gradient clip (0 = none). */
  readonly gradClip: number;
  /** Batch order and rotations. */
  readonly seed: number;
}

/** Raw wall times in ms from the PyTorch side. */
export interface TorchTimes {
  /** Every plain step, cold start first. */
  readonly plainStepMs: readonly number[];
  /** Every REMUL β=1 step, cold start first. */
  readonly remulStepMs: readonly number[];
  /** The timed forward passes. */
  readonly inferMs: readonly number[];
}

class LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #dec = new TextDecoder();
  #buf = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async next(): Promise<string | null> {
    for (;;) {
      const i = this.#buf.indexOf("\n");
      if (i >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        const rest = this.#buf;
        this.#buf = "";
        return rest.length ? rest : null;
      }
      this.#buf += this.#dec.decode(value, { stream: true });
    }
  }

  release(): void {
    this.#reader.releaseLock();
  }
}

/**
 * A running `peer/torch_peer.py`. Start with {@linkcode TorchPeer.start}, then `load` a model and
 * `time` it, as often as needed; `close` when done.
 */
export class TorchPeer {
  readonly #child: Deno.ChildProcess;
  readonly #lines: LineReader;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** What the process said about itself. */
  readonly hello: TorchHello;

  private constructor(
    child: Deno.ChildProcess,
    lines: LineReader,
    writer: WritableStreamDefaultWriter<Uint8Array>,
    hello: TorchHello,
  ) {
    this.#child = child;
    this.#lines = lines;
    this.#writer = writer;
    this.hello = hello;
  }

  /**
   * Starts the PyTorch process with `threads` intra-op threads (and OMP, OpenBLAS and MKL
   * limited to the same number through the environment).
   *
   * @param python the interpreter (from {@link findTorchPython}).
   * @param threads intra-op threads.
   * @throws Error when the process does not start or does not report the thread count asked for.
   */
  static async start(python: string, threads: number): Promise<TorchPeer> {
    const n = String(threads);
    const child = new Deno.Command(python, {
      args: [TORCH_PEER_SCRIPT, "--threads", n],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      env: {
        OMP_NUM_THREADS: n,
        OPENBLAS_NUM_THREADS: n,
        MKL_NUM_THREADS: n,
        PYTHONUNBUFFERED: "1",
      },
    }).spawn();
    const lines = new LineReader(child.stdout);
    const writer = child.stdin.getWriter();
    const first = await lines.next();
    if (first === null) {
      const status = await child.status;
      throw new Error(
        `PyTorch side (${python} ${TORCH_PEER_SCRIPT}) exited with code ${status.code}`,
      );
    }
    const hello = JSON.parse(first) as TorchHello;
    const peer = new TorchPeer(child, lines, writer, hello);
    if (hello.threads !== threads) {
      await peer.close();
      throw new Error(`PyTorch runs with ${hello.threads} threads, asked for ${threads}`);
    }
    return peer;
  }

  async #request(
    header: Record<string, unknown>,
    arrays: { name: string; values: Float32Array; shape: readonly number[] }[],
  ): Promise<Record<string, unknown>> {
    let offset = 0;
    const described = arrays.map((a) => {
      const d = { name: a.name, offset, shape: a.shape };
      offset += a.values.length;
      return d;
    });
    const payload = new Float32Array(offset);
    let at = 0;
    for (const a of arrays) {
      payload.set(a.values, at);
      at += a.values.length;
    }
    const line = JSON.stringify({ ...header, arrays: described, payloadBytes: payload.byteLength });
    try {
      await this.#writer.write(new TextEncoder().encode(line + "\n"));
      if (payload.byteLength) await this.#writer.write(new Uint8Array(payload.buffer));
    } catch (e) {
      throw new Error(`PyTorch side stopped reading its input: ${(e as Error).message}`);
    }
    const answer = await this.#lines.next();
    if (answer === null) {
      const status = await this.#child.status;
      throw new Error(`PyTorch side exited with code ${status.code} during "${header.op}"`);
    }
    return JSON.parse(answer);
  }

  /**
   * Builds the model on the PyTorch side, counts its parameters, loads the probe weights (if
   * any) and then our initial weights into it, and returns its prediction on the test batch with
   * each.
   *
   * @throws Error when the PyTorch side fails for another reason than a weight mismatch.
   */
  async load(r: TorchLoadRequest): Promise<TorchLoadAnswer> {
    const arrays = [
      ...r.weights.map((w, i) => ({ name: `weights/${i}`, values: w.values, shape: w.shape })),
      ...(r.probe ?? []).map((values, i) => ({
        name: `probe/${i}`,
        values,
        shape: r.weights[i].shape,
      })),
      ...Object.entries(r.constants ?? {}).map(([name, c]) => ({
        name: `constants/${name}`,
        values: c.values,
        shape: c.shape,
      })),
      ...r.inputs.map((f) => ({
        name: `train/${f.name}`,
        values: r.train[f.name],
        shape: [r.trainSize, ...f.shape],
      })),
      { name: "train/target", values: r.trainTarget, shape: [r.trainSize, ...r.target.shape] },
      ...r.inputs.map((f) => ({
        name: `test/${f.name}`,
        values: r.test[f.name],
        shape: [r.testSize, ...f.shape],
      })),
    ];
    const answer = await this.#request({
      op: "load",
      model: r.model,
      config: r.config,
      inputs: r.inputs,
      target: r.target,
      edges: r.edges ?? null,
      rotations: r.rotations,
      seed: r.seed,
      weightShapes: r.weights.map((w) => w.shape),
    }, arrays);
    if (answer.params === undefined) {
      throw new Error(`PyTorch side could not build ${r.model}: ${answer.error}`);
    }
    return answer as unknown as TorchLoadAnswer;
  }

  /**
   * Times plain and REMUL training steps and inference of the loaded model.
   *
   * @throws Error when nothing is loaded or a step fails on the PyTorch side.
   */
  async time(r: TorchTimeRequest): Promise<TorchTimes> {
    const answer = await this.#request({ op: "time", ...r }, []);
    if (answer.error) throw new Error(`PyTorch side failed while timing: ${answer.error}`);
    return answer as unknown as TorchTimes;
  }

  /** Closes stdin and waits for the process to exit. */
  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } catch { /* already closed */ }
    this.#lines.release();
    await this.#child.stdout.cancel().catch(() => {});
    await this.#child.status;
  }
}
