/**
 * Checks that a parsed `results.jsonl` line is a result record the harness can use: every field
 * the reports, the regression check, the exports and `--resume` read, with the right type. A line
 * that is valid JSON but lacks a field is rejected with a message naming the line, the field and
 * what was expected, instead of a `TypeError` somewhere downstream (or after hours of training).
 *
 * @module
 */
import type { ResultRecord } from "./result.ts";

/** The states of a result. */
export const RESULT_STATES: readonly ResultRecord["state"][] = [
  "completed",
  "errored",
  "skipped",
  "aborted",
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

type Check = [path: string, ok: (v: unknown) => boolean, expected: string];

const str = (v: unknown) => typeof v === "string";
const num = (v: unknown) => typeof v === "number";
const obj = (v: unknown) => isObject(v);

const BASE: readonly Check[] = [
  ["id", (v) => typeof v === "string" && v !== "", "a non-empty string"],
  ["suite", str, "a string"],
  ["scale", str, "a string"],
  ["dataset", str, "a string"],
  ["model", str, "a string"],
  ["procedure", str, "a string"],
  ["params", obj, "an object"],
  ["repetition", (v) => Number.isInteger(v) && (v as number) >= 0, "an integer ≥ 0"],
  ["seeds", obj, "an object"],
  ["seeds.case", num, "a number"],
  ["config", obj, "an object"],
  ["config.dataset", obj, "an object"],
  ["config.dataset.config", obj, "an object"],
  ["config.model", obj, "an object"],
  ["config.model.config", obj, "an object"],
  ["config.procedure", obj, "an object"],
  ["config.procedure.config", obj, "an object"],
  ["config.train", obj, "an object"],
  ["config.eval", obj, "an object"],
  ["environment", obj, "an object"],
  ["environment.backend", obj, "an object"],
  ["environment.backend.name", str, "a string"],
  ["startedAt", (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)), "an ISO date"],
  ["endedAt", (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)), "an ISO date"],
];

const BY_STATE: Readonly<Record<ResultRecord["state"], readonly Check[]>> = {
  completed: [[
    "metrics",
    (v) => isObject(v) && Object.values(v).every((x) => typeof x === "number" || x === null),
    "an object of numbers",
  ]],
  errored: [["error", str, "a string"], ["failure", str, "a string"]],
  skipped: [["reason", str, "a string"]],
  aborted: [["reason", str, "a string"]],
};

function at(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split(".")) v = isObject(v) ? v[part] : undefined;
  return v;
}

/**
 * Checks a parsed record and returns it typed. Metric values written as `null` (JSON has no NaN)
 * become NaN.
 *
 * @param raw the parsed JSON of one line.
 * @param where names the line in messages, e.g. `out/results.jsonl line 3`.
 * @returns the record.
 * @throws Error naming the line, the case id when there is one, the field and what was expected.
 *
 * @example
 * ```ts
 * import { checkResultRecord } from "./record_check.ts";
 * try {
 *   checkResultRecord({ id: "mlp", state: "completed" }, "results.jsonl line 1");
 * } catch (e) {
 *   console.log((e as Error).message.startsWith("results.jsonl line 1: record \"mlp\"")); // true
 * }
 * ```
 */
export function checkResultRecord(raw: unknown, where: string): ResultRecord {
  if (!isObject(raw)) throw new Error(`${where}: expected a JSON object (a result record)`);
  const who = typeof raw.id === "string" && raw.id !== "" ? `record "${raw.id}"` : "the record";
  const state = raw.state as ResultRecord["state"];
  if (!RESULT_STATES.includes(state)) {
    throw new Error(
      `${where}: ${who} has state ${JSON.stringify(raw.state)}, expected one of ${
        RESULT_STATES.join(", ")
      }`,
    );
  }
  for (const [path, ok, expected] of [...BASE, ...BY_STATE[state]]) {
    const v = at(raw, path);
    if (!ok(v)) {
      throw new Error(
        `${where}: ${who} ${
          v === undefined ? `lacks "${path}"` : `has "${path}" = ${JSON.stringify(v)?.slice(0, 60)}`
        } (expected ${expected})`,
      );
    }
  }
  if (state === "completed") {
    const metrics = raw.metrics as Record<string, number | null>;
    if (Object.values(metrics).some((v) => v === null)) {
      const fixed: Record<string, number> = {};
      for (const [k, v] of Object.entries(metrics)) fixed[k] = v === null ? NaN : v;
      return { ...raw, metrics: fixed } as unknown as ResultRecord;
    }
  }
  return raw as unknown as ResultRecord;
}
