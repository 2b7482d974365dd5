/**
 * Allowed ranges of config values, declared beside the defaults they belong to (`ranges` on a
 * definition, or next to a config type). `resolveConfig` checks types; {@linkcode checkRanges}
 * checks values, so `--set train.lr=-5` or `batchSize=0` is rejected before anything runs, with
 * a message naming the key, the range and the value.
 *
 * @module
 */

/** What a numeric setting may be. */
export interface ConfigRange {
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Values must be greater than this (exclusive). */
  readonly above?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** What the setting is, for the message (e.g. `the Adam learning rate`). */
  readonly what?: string;
}

/** Ranges by config key. */
export type ConfigRanges<K extends string = string> = Readonly<Partial<Record<K, ConfigRange>>>;

/** The range as words: `an integer ≥ 1`, `a number > 0`. */
export function describeRange(r: ConfigRange): string {
  const parts: string[] = [];
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return `${r.integer ? "an integer" : "a number"}${parts.length ? ` ${parts.join(" and ")}` : ""}`;
}

/** Whether `v` is within `r`. */
export function inRange(v: number, r: ConfigRange): boolean {
  return Number.isFinite(v) &&
    (!r.integer || Number.isInteger(v)) &&
    (r.min === undefined || v >= r.min) &&
    (r.above === undefined || v > r.above) &&
    (r.max === undefined || v <= r.max);
}

/**
 * Checks every ranged key of `config` (keys without a range, and absent keys, pass).
 *
 * @param config a resolved config.
 * @param ranges allowed ranges by key; a range on a number array applies to each element.
 * @param where names the owner in messages, e.g. `training config (--set train.…)`.
 * @throws Error naming the key, what it is, the range and the value.
 *
 * @example
 * ```ts
 * import { checkRanges } from "./config_range.ts";
 * checkRanges({ steps: 10 }, { steps: { integer: true, min: 1 } }, "training config");
 * try {
 *   checkRanges({ steps: 2.5 }, { steps: { integer: true, min: 1 } }, "training config");
 * } catch (e) {
 *   console.log((e as Error).message);
 *   // Key "steps" for training config must be an integer ≥ 1, got 2.5
 * }
 * ```
 */
export function checkRanges(
  config: Readonly<Record<string, unknown>>,
  ranges: ConfigRanges | undefined,
  where: string,
): void {
  for (const [key, range] of Object.entries(ranges ?? {})) {
    const v = config[key];
    if (!range || v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (typeof x === "number" && inRange(x, range)) continue;
      const what = range.what ? ` (${range.what})` : "";
      const must = Array.isArray(v) ? "must hold only values that are" : "must be";
      throw new Error(
        `Key "${key}"${what} for ${where} ${must} ${describeRange(range)}, got ${
          JSON.stringify(v)
        }`,
      );
    }
  }
}

/**
 * The declared ranges of a definition's config, if it declares any (`ranges` beside `defaults`).
 *
 * @example
 * ```ts
 * import { rangesOf } from "./config_range.ts";
 * console.log(rangesOf({ ranges: { steps: { min: 1 } } })?.steps?.min); // 1
 * ```
 */
export function rangesOf(definition: object): ConfigRanges | undefined {
  const r = (definition as { readonly ranges?: unknown }).ranges;
  return typeof r === "object" && r !== null ? r as ConfigRanges : undefined;
}
