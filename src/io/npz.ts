/**
 * NumPy `.npz` archives (what `np.savez` and `np.savez_compressed` write, e.g. the sGDML MD17
 * files): a zip of `.npy` arrays, read lazily. Opening reads only the central directory; each
 * `read` seeks to one entry and decompresses just that entry, so a 400 MB archive never has to
 * be in memory at once: reading an array of S bytes needs about S bytes (plus the float32 copy
 * for `readFloat32`).
 *
 * Every error names the file and the problem, e.g.
 * `Cannot read npz file "aspirin.npz": key "R" is missing; keys: E, F, z`.
 *
 * @module
 */
import {
  decodeNpy,
  type NpyArray,
  type NpyDtype,
  NpyFormatError,
  npyHeaderLength,
  parseNpyHeader,
  toFloat32,
  toFloat64,
  toInt32,
} from "./npy.ts";
import { ZipFormatError, ZipReader, type ZipReaderOptions } from "./zip.ts";

export type { NpyArray, NpyData, NpyDtype } from "./npy.ts";

/** A shape to check against: `-1` matches any size on that axis. */
export type ExpectedShape = readonly number[];

/** What an array's header says, without its data. */
export interface NpzArrayInfo {
  /** Element type. */
  readonly dtype: NpyDtype;
  /** The dtype as written in the file, e.g. `<f8`. */
  readonly descr: string;
  /** Shape; `[]` for 0-d arrays. */
  readonly shape: number[];
  /** `.npy` format version. */
  readonly version: [number, number];
}

/** Options of the float readers. */
export interface ReadFloatOptions {
  /** Reject NaN and ±∞, naming the array and the first bad index (default false). */
  readonly finite?: boolean;
}

/**
 * The first non-finite value of a float array, as a multi-index, and how many there are.
 *
 * @param data row-major values.
 * @param shape the array's shape.
 * @returns null when every value is finite.
 *
 * @example
 * ```ts
 * import { firstNonFinite } from "./npz.ts";
 * console.log(firstNonFinite(new Float64Array([0, 1, NaN, 3, 4, Infinity]), [2, 3]));
 * // { index: [ 0, 2 ], flat: 2, value: NaN, count: 2 }
 * ```
 */
export function firstNonFinite(
  data: Float32Array | Float64Array,
  shape: readonly number[],
): { index: number[]; flat: number; value: number; count: number } | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return null;
  const index = new Array<number>(shape.length).fill(0);
  let rest = first;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = shape[d] > 0 ? rest % shape[d] : 0;
    rest = shape[d] > 0 ? Math.floor(rest / shape[d]) : rest;
  }
  return { index, flat: first, value: data[first], count };
}

/** Options of {@link NpzFile.open}. */
export type NpzOptions = Omit<ZipReaderOptions, "kind">;

/** An error reading an `.npz`; the message names the file and the problem. */
export class NpzError extends Error {
  /** Path of the archive. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly problem: string;

  /**
   * @param path the archive's path.
   * @param problem what is wrong.
   * @param cause the underlying error, if any.
   */
  constructor(path: string, problem: string, cause?: unknown) {
    super(`Cannot read npz file "${path}": ${problem}`, { cause });
    this.name = "NpzError";
    this.path = path;
    this.problem = problem;
  }
}

/** An open `.npz` archive; create with {@link NpzFile.open}, release with `close()`. */
export class NpzFile {
  /** Path of the archive. */
  readonly path: string;
  #zip: ZipReader;
  #entryOf: Map<string, string>;

  private constructor(path: string, zip: ZipReader) {
    this.path = path;
    this.#zip = zip;
    // np.load names arrays after their entries, minus a trailing ".npy".
    this.#entryOf = new Map(zip.names().map((n) => [n.endsWith(".npy") ? n.slice(0, -4) : n, n]));
  }

  /**
   * Opens an archive and reads its table of contents (not the arrays).
   *
   * @param path the `.npz` file.
   * @param options `chunkSize` (bytes read at a time, default 4 MiB), `verifyCrc` (default true).
   * @returns the open archive.
   * @throws NpzError if the file is truncated or not a zip archive; Deno.errors.NotFound if it
   *   does not exist.
   *
   * @example
   * ```ts
   * import { NpzFile } from "./npz.ts";
   * const z = await NpzFile.open("fixtures/md17/md17_tiny.npz");
   * const r = await z.readFloat32("R", [-1, 9, 3]); // positions [frames, atoms, 3]
   * const atoms = await z.readInt32("z", [9]);
   * z.close();
   * if (r.length % 27 !== 0 || atoms[0] !== 6) throw new Error();
   * ```
   */
  static async open(path: string, options: NpzOptions = {}): Promise<NpzFile> {
    try {
      return new NpzFile(path, await ZipReader.open(path, { ...options, kind: "npz file" }));
    } catch (e) {
      if (e instanceof ZipFormatError) throw new NpzError(path, e.problem, e);
      throw e;
    }
  }

  /** Array names (entry names without `.npy`), in archive order. */
  keys(): string[] {
    return [...this.#entryOf.keys()];
  }

  /** Whether the archive holds an array called `key`. */
  has(key: string): boolean {
    return this.#entryOf.has(key);
  }

  /**
   * Reads only an array's header (dtype and shape), decompressing just its first bytes.
   *
   * @param key array name, e.g. `R`.
   * @returns dtype, shape and format version.
   * @throws NpzError if the key is missing, the header corrupt or the dtype unsupported.
   */
  async describe(key: string): Promise<NpzArrayInfo> {
    const entry = this.#entry(key);
    return await this.#wrap(key, async () => {
      let bytes = await this.#zip.read(entry, { prefix: 4096 });
      const need = npyHeaderLength(bytes);
      if (need > bytes.length) bytes = await this.#zip.read(entry, { prefix: need });
      const h = parseNpyHeader(bytes);
      return { dtype: h.dtype, descr: h.descr, shape: h.shape, version: h.version };
    });
  }

  /**
   * Reads and decodes one array.
   *
   * @param key array name, e.g. `R` (not `R.npy`).
   * @returns dtype, shape and row-major data (typed array, or `string[]` for text dtypes).
   * @throws NpzError naming the file: missing key (with the keys present), truncated or corrupt
   *   entry, corrupt `.npy` header, unsupported dtype.
   */
  async read(key: string): Promise<NpyArray> {
    const entry = this.#entry(key);
    return await this.#wrap(key, async () => decodeNpy(await this.#zip.read(entry)));
  }

  /**
   * Reads a numeric array as float32 and checks its shape.
   *
   * @param key array name.
   * @param expectShape required shape; `-1` matches any size on that axis.
   * @param options `finite`: reject NaN and ±∞.
   * @returns row-major `Float32Array`.
   * @throws NpzError as `read`, plus shape mismatch, string dtypes and (with `finite`) a
   *   non-finite value, naming its index.
   */
  async readFloat32(
    key: string,
    expectShape?: ExpectedShape,
    options: ReadFloatOptions = {},
  ): Promise<Float32Array> {
    const a = await this.#readChecked(key, expectShape);
    const out = this.#convert(() => toFloat32(a, `array "${key}"`));
    if (options.finite) this.#checkFinite(key, out, a.shape);
    return out;
  }

  /**
   * Reads a numeric array as float64 and checks its shape.
   *
   * @param key array name.
   * @param expectShape required shape; `-1` matches any size on that axis.
   * @param options `finite`: reject NaN and ±∞.
   * @returns row-major `Float64Array`.
   * @throws NpzError as `read`, plus shape mismatch, string dtypes and (with `finite`) a
   *   non-finite value, naming its index.
   */
  async readFloat64(
    key: string,
    expectShape?: ExpectedShape,
    options: ReadFloatOptions = {},
  ): Promise<Float64Array> {
    const a = await this.#readChecked(key, expectShape);
    const out = this.#convert(() => toFloat64(a, `array "${key}"`));
    if (options.finite) this.#checkFinite(key, out, a.shape);
    return out;
  }

  /**
   * Reads an integer (or bool) array as int32 and checks its shape.
   *
   * @param key array name.
   * @param expectShape required shape; `-1` matches any size on that axis.
   * @returns row-major `Int32Array`.
   * @throws NpzError as `read`, plus shape mismatch, float or string dtypes, values out of range.
   */
  async readInt32(key: string, expectShape?: ExpectedShape): Promise<Int32Array> {
    const a = await this.#readChecked(key, expectShape);
    return this.#convert(() => toInt32(a, `array "${key}"`));
  }

  /**
   * Reads a text array (`<U..` or `|S..`); a 0-d array gives one string.
   *
   * @param key array name.
   * @returns the strings in row-major order.
   * @throws NpzError as `read`, plus numeric dtypes.
   */
  async readStrings(key: string): Promise<string[]> {
    const a = await this.read(key);
    if (!Array.isArray(a.data)) {
      throw new NpzError(this.path, `array "${key}" has dtype ${a.descr}, expected strings`);
    }
    return a.data;
  }

  /** Closes the file. Safe to call twice. */
  close(): void {
    this.#zip.close();
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #entry(key: string): string {
    const entry = this.#entryOf.get(key);
    if (entry === undefined) {
      throw new NpzError(this.path, `key "${key}" is missing; keys: ${this.keys().join(", ")}`);
    }
    return entry;
  }

  async #readChecked(key: string, expect?: ExpectedShape): Promise<NpyArray> {
    const a = await this.read(key);
    if (expect && !shapeMatches(a.shape, expect)) {
      throw new NpzError(
        this.path,
        `array "${key}" has shape [${a.shape.join(", ")}], expected [${
          expect.map((d) => (d === -1 ? "*" : d)).join(", ")
        }]`,
      );
    }
    return a;
  }

  #checkFinite(key: string, data: Float32Array | Float64Array, shape: readonly number[]): void {
    const bad = firstNonFinite(data, shape);
    if (!bad) return;
    throw new NpzError(
      this.path,
      `array "${key}" holds a non-finite value: ${bad.value} at index [${
        bad.index.join(", ")
      }] (${bad.count} of ${data.length} values are NaN or infinite); expected finite numbers`,
    );
  }

  #convert<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new NpzError(this.path, (e as Error).message, e);
    }
  }

  async #wrap<T>(key: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ZipFormatError) throw new NpzError(this.path, e.problem, e);
      if (e instanceof NpyFormatError) {
        throw new NpzError(this.path, `array "${key}": ${e.message}`, e);
      }
      throw e;
    }
  }
}

/** Whether `shape` matches `expect` (same rank; `-1` in `expect` matches anything). */
function shapeMatches(shape: readonly number[], expect: ExpectedShape): boolean {
  return shape.length === expect.length &&
    shape.every((d, i) => expect[i] === -1 || d === expect[i]);
}
