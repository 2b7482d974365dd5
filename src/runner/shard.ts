/**
 * Sharding a suite over machines: `--shard i/n` keeps every n-th case of the (filtered) case list
 * sorted by id, starting at the i-th. Round-robin over sorted ids is deterministic (it does not
 * depend on grid order, worker count or timing), gives shards whose sizes differ by at most one,
 * and interleaves cases of one model across shards, so expensive models do not all land on one
 * machine. All shards must use the same suite, scale, filter and repetitions. (A hash of the id
 * would keep a case on its shard when cases are added, but gives unequal shards on small suites.)
 * `mergeShardRecords` joins the shards' results again in the unsharded order.
 *
 * @module
 */
import type { ResultRecord } from "./result.ts";

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  /** Which shard, 1-based. */
  readonly index: number;
  /** How many shards. */
  readonly count: number;
}

/**
 * Parses `i/n`.
 *
 * @throws Error unless i and n are integers with 1 ≤ i ≤ n.
 *
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * console.log(parseShard("2/3")); // { index: 2, count: 3 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`expected i/n with 1 ≤ i ≤ n (e.g. 2/3), got "${text}"`);
  }
  return { index, count };
}

/**
 * The items of one shard, in their input order.
 *
 * @param items cases (anything with an `id`), e.g. run specs after filtering.
 * @param shard which shard.
 * @returns the items whose position in the id-sorted list is ≡ index − 1 (mod count).
 *
 * @example
 * ```ts
 * import { shardItems } from "./shard.ts";
 * const ids = ["c", "a", "d", "b"].map((id) => ({ id }));
 * console.log(shardItems(ids, { index: 1, count: 2 }).map((x) => x.id)); // [ "c", "a" ]
 * ```
 */
export function shardItems<T extends { readonly id: string }>(
  items: readonly T[],
  shard: Shard,
): T[] {
  const sorted = [...new Set(items.map((x) => x.id))].sort();
  const mine = new Set(sorted.filter((_, i) => i % shard.count === shard.index - 1));
  return items.filter((x) => mine.has(x.id));
}

/** The identity of a record across result folders: `suite/id` (suites may share case ids). */
export function recordKey(r: { readonly suite: string; readonly id: string }): string {
  return `${r.suite}/${r.id}`;
}

/** A case completed in two shards with different metrics. */
export interface MetricConflict {
  /** The record key, `suite/id`. */
  readonly key: string;
  /** The two shards (0-based indices into the input). */
  readonly shards: readonly [number, number];
  /** The metrics whose values differ (or that only one of them has). */
  readonly metrics: readonly string[];
}

/** What {@linkcode mergeShardRecords} returns. */
export interface MergedShards {
  /** The records in the unsharded order. */
  readonly records: ResultRecord[];
  /** Records (`suite/id`) found in more than one shard (the completed, then the latest, record
   * was kept). */
  readonly duplicates: string[];
  /** Cases completed in more than one shard with different metrics: no record can be chosen. */
  readonly conflicts: MetricConflict[];
}

function differingMetrics(a: ResultRecord, b: ResultRecord): string[] {
  if (a.state !== "completed" || b.state !== "completed") return [];
  const names = [...new Set([...Object.keys(a.metrics ?? {}), ...Object.keys(b.metrics ?? {})])]
    .sort();
  return names.filter((n) => !Object.is(a.metrics[n], b.metrics[n]));
}

/**
 * Joins the records of several shards.
 *
 * @param shards each shard's records.
 * @param order record keys ({@linkcode recordKey}) in the unsharded order (e.g. the suites'
 *   expansion); other records follow, sorted by key.
 * @returns the merged records, the ids that appeared more than once, and the cases completed
 *   in two shards with different metrics (the caller must refuse those: either could be right).
 */
export function mergeShardRecords(
  shards: readonly (readonly ResultRecord[])[],
  order: readonly string[] = [],
): MergedShards {
  const byId = new Map<string, ResultRecord>();
  const from = new Map<string, number>();
  const duplicates = new Set<string>();
  const conflicts: MetricConflict[] = [];
  for (const [index, list] of shards.entries()) {
    for (const r of list) {
      const key = recordKey(r);
      const prev = byId.get(key);
      if (prev) {
        duplicates.add(key);
        const metrics = differingMetrics(prev, r);
        if (metrics.length) conflicts.push({ key, shards: [from.get(key)!, index], metrics });
        const keepPrev = (prev.state === "completed" && r.state !== "completed") ||
          (prev.state === r.state && Date.parse(prev.endedAt) > Date.parse(r.endedAt));
        if (keepPrev) continue;
      }
      byId.set(key, r);
      from.set(key, index);
    }
  }
  const rank = new Map(order.map((id, i) => [id, i]));
  const records = [...byId.values()].sort((a, b) => {
    const ka = recordKey(a), kb = recordKey(b);
    const ra = rank.get(ka) ?? Infinity, rb = rank.get(kb) ?? Infinity;
    return ra !== rb ? ra - rb : ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return { records, duplicates: [...duplicates].sort(), conflicts };
}
