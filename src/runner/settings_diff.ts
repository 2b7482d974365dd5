/**
 * Which settings a result ran with, as flat `key = value` pairs (`train.steps`, `eval.batchSize`,
 * `dataset.deltaT`, `model.mlp.hidden`, `procedure.gamma`), and where two sets of results
 * disagree. Used to refuse mixing results of different settings in one table: `bench --resume`
 * against the settings of this run ({@linkcode resumeConflicts}), `merge` across folders
 * ({@linkcode mixedSettings}).
 *
 * @module
 */
import type { ResultRecord } from "./result.ts";
import type { RunSpec } from "./suite.ts";

/** A flat map of settings: `train.steps` → 40. */
export type Settings = ReadonlyMap<string, string>;

type ConfigLike = {
  readonly dataset: { readonly id: string; readonly config: Readonly<Record<string, unknown>> };
  readonly model: { readonly id: string; readonly config: Readonly<Record<string, unknown>> };
  readonly procedure: { readonly id: string; readonly config: Readonly<Record<string, unknown>> };
  readonly train: Readonly<Record<string, unknown>>;
  readonly eval: Readonly<Record<string, unknown>>;
};

function flatten(c: ConfigLike): Map<string, string> {
  const out = new Map<string, string>();
  const put = (prefix: string, o: Readonly<Record<string, unknown>> | undefined) => {
    for (const [k, v] of Object.entries(o ?? {})) {
      if (v !== undefined) out.set(`${prefix}.${k}`, JSON.stringify(v));
    }
  };
  put("train", c.train);
  put("eval", c.eval);
  put("dataset", c.dataset?.config);
  put(`model.${c.model?.id}`, c.model?.config);
  put("procedure", c.procedure?.config);
  return out;
}

/** The settings of a run spec. */
export function specSettings(spec: RunSpec): Settings {
  return flatten(spec);
}

/** The settings a result ran with (from its `config`). */
export function recordSettings(record: ResultRecord): Settings {
  return flatten(record.config as unknown as ConfigLike);
}

/** One setting that differs: its key and the two values (JSON; `(unset)` when absent). */
export interface SettingDifference {
  /** e.g. `train.steps`. */
  readonly key: string;
  /** The first side's value. */
  readonly a: string;
  /** The second side's value. */
  readonly b: string;
}

/**
 * The settings that differ between `a` and `b`, sorted by key.
 *
 * @example
 * ```ts
 * import { settingDifferences } from "./settings_diff.ts";
 * const d = settingDifferences(
 *   new Map([["train.steps", "40"], ["train.lr", "0.003"]]),
 *   new Map([["train.steps", "5"], ["train.lr", "0.003"]]),
 * );
 * console.log(d); // [ { key: "train.steps", a: "40", b: "5" } ]
 * ```
 */
export function settingDifferences(a: Settings, b: Settings): SettingDifference[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.flatMap((key) => {
    const x = a.get(key) ?? "(unset)";
    const y = b.get(key) ?? "(unset)";
    return x === y ? [] : [{ key, a: x, b: y }];
  });
}

/** Cases that share the same differences. */
export interface ConflictGroup {
  /** The differing settings (`a`: the recorded value, `b`: the other side's). */
  readonly differences: readonly SettingDifference[];
  /** Case ids. */
  readonly ids: readonly string[];
}

function describeDifferences(d: readonly SettingDifference[]): string {
  return d.map((x) => `${x.key} ${x.a} → ${x.b}`).join(", ");
}

function listIds(ids: readonly string[], max = 3): string {
  return ids.slice(0, max).join(", ") + (ids.length > max ? `, … ${ids.length - max} more` : "");
}

/**
 * Completed records whose settings differ from the spec of the same case id, grouped by what
 * differs. Records without a spec (cases no longer in the suite) are left out.
 *
 * @param previous the records already in the folder.
 * @param specs every case of this run's suite and scale (before filter and shard).
 * @returns groups of case ids with the same differences (recorded → now).
 */
export function resumeConflicts(
  previous: readonly ResultRecord[],
  specs: readonly RunSpec[],
): ConflictGroup[] {
  const byId = new Map(specs.map((s) => [s.id, s]));
  const groups = new Map<string, { differences: SettingDifference[]; ids: string[] }>();
  for (const r of previous) {
    const spec = byId.get(r.id);
    if (r.state !== "completed" || !spec) continue;
    const d = settingDifferences(recordSettings(r), specSettings(spec));
    if (d.length === 0) continue;
    const key = JSON.stringify(d);
    if (!groups.has(key)) groups.set(key, { differences: d, ids: [] });
    groups.get(key)!.ids.push(r.id);
  }
  return [...groups.values()];
}

/** One line per group: `train.steps 40 → 5 (12 cases: a, b, c, … 9 more)`. */
export function describeConflicts(groups: readonly ConflictGroup[]): string {
  return groups.map((g) =>
    `${describeDifferences(g.differences)} (${g.ids.length} case${g.ids.length === 1 ? "" : "s"}: ${
      listIds(g.ids)
    })`
  ).join("; ");
}

/** A setting that takes different values across sources (folders). */
export interface MixedSetting {
  /** e.g. `train.steps`, or `model.gnn.hidden`. */
  readonly key: string;
  /** Each value with the sources and cases that have it. */
  readonly values: readonly {
    readonly value: string;
    readonly sources: readonly string[];
    readonly ids: readonly string[];
  }[];
}

/**
 * Settings that take more than one value across records that should share them: every setting
 * except those a case's own grid parameters choose (e.g. `beta`, `molecule`, `batchSize`), with
 * model settings compared between cases of the same model and procedure settings between cases
 * of the same procedure. Shards of one run agree on all of them; folders run with different
 * `--set` values, repetitions or suite versions do not.
 *
 * @param sources records by source (e.g. folder name).
 * @returns the settings with more than one value, sorted by key.
 */
export function mixedSettings(
  sources: readonly { readonly source: string; readonly records: readonly ResultRecord[] }[],
): MixedSetting[] {
  const seen = new Map<string, Map<string, { sources: Set<string>; ids: string[] }>>();
  for (const { source, records } of sources) {
    for (const r of records) {
      const own = new Set(Object.keys(r.params ?? {}));
      const settings = new Map(recordSettings(r));
      const reps = (r.config as { protocol?: { repetitions?: unknown } }).protocol?.repetitions;
      if (reps !== undefined) settings.set("repetitions", JSON.stringify(reps));
      for (const [key, value] of settings) {
        if (own.has(key.slice(key.lastIndexOf(".") + 1))) continue; // chosen by the grid
        const scope = key.startsWith("procedure.") ? `${r.procedure}\u0000${key}` : key;
        if (!seen.has(scope)) seen.set(scope, new Map());
        const values = seen.get(scope)!;
        if (!values.has(value)) values.set(value, { sources: new Set(), ids: [] });
        values.get(value)!.sources.add(source);
        values.get(value)!.ids.push(r.id);
      }
    }
  }
  const out: MixedSetting[] = [];
  for (const [scope, values] of seen) {
    if (values.size < 2) continue;
    out.push({
      key: scope.includes("\u0000") ? scope.replace("\u0000", ": ") : scope,
      values: [...values].map(([value, v]) => ({ value, sources: [...v.sources], ids: v.ids })),
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One line per mixed setting: `train.steps: 40 in A (12 cases), 5 in B (3 cases: x, y, z)`. */
export function describeMixedSettings(mixed: readonly MixedSetting[]): string {
  return mixed.map((m) =>
    `${m.key}: ${
      m.values.map((v) =>
        `${v.value} in ${v.sources.join(", ")} (${v.ids.length} case${
          v.ids.length === 1 ? "" : "s"
        }: ${listIds(v.ids, 2)})`
      ).join(" vs ")
    }`
  ).join("; ");
}
