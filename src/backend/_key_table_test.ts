import assert from "node:assert/strict";
import { type KeyEntry, KeyTable } from "./_key_table.ts";
import { Rng } from "../core/rng.ts";

/** A key as the tests write it: numbers, strings, and lists (pushed with their length). */
type Part = number | string | number[];

function build<V>(table: KeyTable<V>, key: readonly Part[]): void {
  table.begin();
  // each part after its kind, as a caller's key structure fixes what each position holds
  for (const p of key) {
    if (typeof p === "number") table.push(0), table.push(p);
    else if (typeof p === "string") table.push(1), table.pushString(p);
    else table.push(2), table.pushAll(p);
  }
}

/** The reference: the key as a string that tells -0 from 0, a list from its values, a string from a number. */
function refKey(key: readonly Part[]): string {
  const num = (v: number) => (Object.is(v, -0) ? "-0" : String(v));
  return key.map((p) =>
    typeof p === "number"
      ? num(p)
      : typeof p === "string"
      ? JSON.stringify(p)
      : `[${p.map(num).join(",")}]`
  ).join(" ");
}

function randomKey(rng: Rng): Part[] {
  const values = [0, -0, 1, 2, 3, NaN, Infinity, -1, 0.5, 1e-30];
  const value = () => values[rng.int(values.length)];
  const key: Part[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const kind = rng.int(3);
    if (kind === 0) key.push(value());
    else if (kind === 1) key.push(["add", "mul", "float32", "int32"][rng.int(4)]);
    else key.push(Array.from({ length: rng.int(3) }, value));
  }
  return key;
}

for (const hashBits of [32, 2]) {
  Deno.test(`KeyTable agrees with a reference map on random keys, adds and deletes (${hashBits}-bit hash)`, () => {
    const rng = new Rng(hashBits);
    const table = new KeyTable<number>({ hashBits });
    const reference = new Map<string, { value: number; entry: KeyEntry<number> }>();
    let hits = 0;
    for (let step = 0; step < 3000; step++) {
      const key = randomKey(rng);
      build(table, key);
      const expected = reference.get(refKey(key));
      assert.equal(table.find(), expected?.value, refKey(key));
      if (expected) {
        hits++;
        if (rng.int(4) === 0) {
          assert.equal(table.delete(expected.entry), true);
          assert.equal(table.delete(expected.entry), false, "deleted already");
          reference.delete(refKey(key));
        }
      } else {
        reference.set(refKey(key), { value: step, entry: table.add(step) });
      }
      assert.equal(table.size, reference.size);
    }
    assert.ok(hits > 1000 && reference.size > 100, `${hits} hits, ${reference.size} keys`);
  });
}

Deno.test("KeyTable: bits tell -0 from 0 and find NaN; a list is not its values", () => {
  const table = new KeyTable<string>();
  const put = (key: Part[], v: string) => {
    build(table, key);
    assert.equal(table.find(), undefined, v);
    table.add(v);
  };
  const get = (key: Part[]) => (build(table, key), table.find());
  put([0], "zero");
  put([-0], "minus zero");
  put([NaN], "nan");
  put([[1, 2]], "list");
  put([1, 2], "values");
  // a string is pushed as its number: the caller's key structure tells them apart
  const raw = new KeyTable<string>();
  raw.begin();
  raw.push(0);
  raw.add("zero");
  raw.begin();
  raw.pushString("add");
  assert.equal(raw.find(), "zero", "the first string is numbered 0");
  assert.deepEqual([get([0]), get([-0]), get([NaN]), get([[1, 2]]), get([1, 2])], [
    "zero",
    "minus zero",
    "nan",
    "list",
    "values",
  ]);
});

Deno.test("KeyTable: a key being built survives its owner clearing a full table; too many strings renumber them at the next key", () => {
  const table = new KeyTable<number>({ maxEntries: 2, maxStrings: 4 });
  const key = (s: string, v: number) => [s, v];
  build(table, key("a", 1));
  table.add(1);
  build(table, key("b", 1));
  table.add(2);
  assert.ok(table.full);
  build(table, key("c", 1));
  assert.equal(table.find(), undefined);
  table.clear(); // the owner clears before adding: "c" keeps its number
  table.add(3);
  build(table, key("c", 1));
  assert.equal(table.find(), 3);
  build(table, key("a", 1));
  assert.equal(table.find(), undefined, "cleared");
  // a fourth string reaches maxStrings: the key after it renumbers them and empties the table
  build(table, key("d", 1));
  assert.equal(table.find(), undefined);
  assert.equal(table.size, 1, "not renumbered yet: the entry of c is kept");
  table.add(4);
  build(table, key("d", 1));
  assert.equal(table.size, 0, "renumbered at this key's start");
  assert.equal(table.find(), undefined, "an entry of the old numbering is gone");
  table.add(5);
  build(table, key("d", 1));
  assert.equal(table.find(), 5);
  build(table, key("a", 1));
  assert.equal(table.find(), undefined, '"a" has a new number now');
});
