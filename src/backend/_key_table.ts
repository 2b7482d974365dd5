/**
 * A table keyed by a short sequence of numbers, for the host-side caches of the WebGPU dispatch
 * path (private to this folder): the dispatch memo (`webgpu_dispatch.ts`), the uniform arena and
 * the bind-group cache (`webgpu_bind_cache.ts`). A training step asks each of them the same few
 * hundred questions every step, so a lookup has to cost little and build no garbage.
 *
 * A key is built value by value into a reused array ({@linkcode KeyTable.begin}, `push`,
 * `pushString`, `pushAll`), hashed as it is built (FNV-1a over each integer, or over a fraction's
 * float64 bits), and looked up with one `Map` access and a compare of the bucket's keys value by
 * value. The compare keeps `-0` apart from `0` and finds a `NaN` again (a `Map` keyed by the number
 * does neither). Keys are plain arrays, not typed arrays of bits: the caches' keys are mostly small
 * integers, which V8 stores and compares unboxed. In a CPU profile of GATr's step, a first version
 * that compared float64 bits word by word spent 596 ms of self time in `find` (over 70 s), against
 * 482 ms for the lookups it replaced, key building included; this one spends 449 ms.
 * Strings get numbers of their own (0, 1, …; the structure of a caller's key says which positions
 * hold strings, so that a string and a number never meet at one position); the numbers are kept
 * while any entry may hold them, and
 * renumbered only at the start of a key, when there are too many of them (which empties the
 * table), so a key being built stays valid when its owner clears a full table.
 *
 * @module
 */

/** A stored key and its value; the handle {@linkcode KeyTable.delete} takes. */
export interface KeyEntry<V> {
  /** The value stored under the key. */
  readonly value: V;
}

interface Entry<V> extends KeyEntry<V> {
  readonly key: readonly number[];
  readonly hash: number;
}

/** Whether two numbers are the same key value: `-0` is not `0`, and `NaN` is `NaN`. */
function same(a: number, b: number): boolean {
  return a === b ? a !== 0 || 1 / a === 1 / b : a !== a && b !== b;
}

// a fraction's float64 bits, for the hash
const FRACTION = new Float64Array(1);
const FRACTION_WORDS = new Uint32Array(FRACTION.buffer);

/** Sizes of a {@linkcode KeyTable}. */
export interface KeyTableOptions {
  /** Entries at which {@linkcode KeyTable.full} says so (default 16,384). */
  maxEntries?: number;
  /** Distinct strings at which the next key renumbers them and empties the table (default 65,536). */
  maxStrings?: number;
  /** Bits of the hash kept (default 32); fewer make collisions, which the tests need. */
  hashBits?: number;
}

/**
 * Values by a key of numbers and strings, built in place.
 *
 * @example
 * ```ts
 * import { KeyTable } from "./_key_table.ts";
 * const table = new KeyTable<string>();
 * table.begin();
 * table.pushString("add");
 * table.pushAll([2, 3]);
 * if (table.find() !== undefined) throw new Error();
 * table.add("a [2, 3] add");
 * table.begin();
 * table.pushString("add");
 * table.pushAll([2, 3]);
 * if (table.find() !== "a [2, 3] add") throw new Error();
 * ```
 */
export class KeyTable<V> {
  #buckets = new Map<number, Entry<V>[]>();
  #size = 0;
  #strings = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #maxStrings: number;
  readonly #hashMask: number;
  // the key being built: its values, their count, their hash
  #key: number[] = [];
  #n = 0;
  #hash = 0;

  constructor(options: KeyTableOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1 << 14;
    this.#maxStrings = options.maxStrings ?? 1 << 16;
    const bits = options.hashBits ?? 32;
    this.#hashMask = bits >= 32 ? -1 : (1 << bits) - 1;
  }

  /** Entries stored. */
  get size(): number {
    return this.#size;
  }

  /** Whether the table holds `maxEntries`: its owner clears it before the next `add`. */
  get full(): boolean {
    return this.#size >= this.#maxEntries;
  }

  /**
   * Starts a new key. When the strings have grown to `maxStrings`, they are renumbered here, which
   * empties the table (only the dispatch memo pushes strings, and it keeps nothing beside them).
   */
  begin(): void {
    this.#n = 0;
    this.#hash = 0x811c9dc5;
    if (this.#strings.size < this.#maxStrings) return;
    this.#strings = new Map();
    this.clear();
  }

  /** Appends a number to the key (`-0` is not `0`, `NaN` is `NaN`). */
  push(v: number): void {
    this.#key[this.#n++] = v;
    let h = this.#hash;
    if ((v | 0) === v) h = Math.imul(h ^ v, 0x01000193);
    else if (v !== v) h = Math.imul(h ^ 0x7ff80000, 0x01000193);
    else {
      FRACTION[0] = v;
      h = Math.imul(Math.imul(h ^ FRACTION_WORDS[0], 0x01000193) ^ FRACTION_WORDS[1], 0x01000193);
    }
    this.#hash = h;
  }

  /** Appends a string to the key, as the number the table gives it. */
  pushString(s: string): void {
    let id = this.#strings.get(s);
    if (id === undefined) this.#strings.set(s, id = this.#strings.size);
    this.push(id);
  }

  /** Appends a list: its length, then its values (so `[1], [2]` is not `[1, 2]`). */
  pushAll(values: ArrayLike<number>): void {
    this.push(values.length);
    for (let i = 0; i < values.length; i++) this.push(values[i]);
  }

  /** The value stored under the key built since `begin`, if any. */
  find(): V | undefined {
    const bucket = this.#buckets.get(this.#hash & this.#hashMask);
    if (!bucket) return undefined;
    const n = this.#n;
    const key = this.#key;
    for (let b = 0; b < bucket.length; b++) {
      const e = bucket[b];
      const k = e.key;
      if (k.length !== n) continue;
      let i = 0;
      while (i < n && same(k[i], key[i])) i++;
      if (i === n) return e.value;
    }
    return undefined;
  }

  /**
   * Stores `value` under the key built since `begin` (which `find` did not find). The table does
   * not clear itself: when it is {@linkcode KeyTable.full}, its owner clears it first.
   *
   * @returns the entry, for {@linkcode KeyTable.delete}.
   */
  add(value: V): KeyEntry<V> {
    const hash = this.#hash & this.#hashMask;
    const entry: Entry<V> = { key: this.#key.slice(0, this.#n), hash, value };
    const bucket = this.#buckets.get(hash);
    if (bucket) bucket.push(entry);
    else this.#buckets.set(hash, [entry]);
    this.#size++;
    return entry;
  }

  /**
   * Removes an entry that `add` returned.
   *
   * @returns false when it was gone already (deleted, or the table cleared since).
   */
  delete(entry: KeyEntry<V>): boolean {
    const e = entry as Entry<V>;
    const bucket = this.#buckets.get(e.hash);
    const at = bucket ? bucket.indexOf(e) : -1;
    if (at < 0) return false;
    if (bucket!.length === 1) this.#buckets.delete(e.hash);
    else bucket!.splice(at, 1);
    this.#size--;
    return true;
  }

  /**
   * Removes every entry. The strings keep their numbers, so a key being built stays valid and
   * can be added next.
   */
  clear(): void {
    this.#buckets = new Map();
    this.#size = 0;
  }
}
