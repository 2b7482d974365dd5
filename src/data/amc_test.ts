import assert from "node:assert/strict";
import { MocapFormatError, parseAsf } from "./asf.ts";
import { parseAmc } from "./amc.ts";

const DIR = new URL("../../fixtures/mocap/", import.meta.url);
const skeleton = parseAsf(await Deno.readTextFile(new URL("tiny.asf", DIR)), "tiny.asf");

const GOOD = [
  "# comment", //                      1
  ":FULLY-SPECIFIED", //               2
  ":DEGREES", //                       3
  "1", //                              4
  "root 1 2 3 4 5 6", //               5
  "lowerback 1 2 3", //                6
  "head 1 2", //                       7
  "rfemur 1 2 3", //                   8
  "rtibia 1", //                       9
  "lfemur 1 2 3", //                   10
  "ltibia 1", //                       11
  "2", //                              12
  "root 1 2 3 4 5 6", //               13
  "lowerback 1 2 3", //                14
  "head 1 2", //                       15
  "rfemur 1 2 3", //                   16
  "rtibia 1", //                       17
  "lfemur 1 2 3", //                   18
  "ltibia 7.5", //                     19
];

function throwsAt(lines: string[], line: number, pattern: RegExp): void {
  assert.throws(
    () => parseAmc(lines.join("\n") + "\n", skeleton, "bad.amc"),
    (e: unknown) => {
      assert.ok(e instanceof MocapFormatError, String(e));
      assert.equal(e.line, line, e.message);
      assert.match(e.message, /^Cannot parse AMC file "bad\.amc", line \d+: /);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

Deno.test("parseAmc: the fixture trial, frames and values per joint", async () => {
  const text = await Deno.readTextFile(new URL("tiny_01.amc", DIR));
  const m = parseAmc(text, skeleton, "tiny_01.amc");
  assert.equal(m.angle, "deg");
  assert.equal(m.frames.length, 24);
  assert.deepEqual(m.frames.map((f) => f.number), Array.from({ length: 24 }, (_, i) => i + 1));
  const f0 = m.frames[0];
  assert.equal(f0.values.get("root")!.length, 6);
  assert.equal(f0.values.get("head")!.length, 2);
  assert.equal(f0.values.get("ltibia")!.length, 1);
  assert.equal(f0.values.has("lhipjoint"), false);
});

Deno.test("parseAmc: a hand-written motion, radians header", () => {
  const m = parseAmc(GOOD.join("\n") + "\n", skeleton, "ok.amc");
  assert.equal(m.frames.length, 2);
  assert.deepEqual(m.frames[1].values.get("ltibia"), [7.5]);
  assert.equal(m.frames[1].line, 12);
  const r = parseAmc(GOOD.join("\n").replace(":DEGREES", ":RADIANS") + "\n", skeleton, "ok.amc");
  assert.equal(r.angle, "rad");
});

Deno.test("parseAmc: malformed input names the file and the line", () => {
  const edit = (i: number, text: string | null) => {
    const out = [...GOOD];
    if (text === null) out.splice(i - 1, 1);
    else out[i - 1] = text;
    return out;
  };
  throwsAt(edit(7, "neck 1 2"), 7, /unknown joint "neck"/);
  throwsAt(edit(8, "rfemur 1 2"), 8, /joint "rfemur" needs 3 values, got 2/);
  throwsAt(edit(13, "root 1 2 3 4 5 6 7"), 13, /joint "root" needs 6 values, got 7/);
  throwsAt(edit(9, "rtibia 1,5"), 9, /bad number "1,5"/);
  throwsAt(edit(12, "2b"), 12, /bad frame number "2b"/);
  throwsAt(edit(3, null), 3, /missing ":DEGREES" or ":RADIANS"/);
  throwsAt(edit(4, null), 4, /joint line "root" before the first frame/);
  throwsAt(edit(16, null), 12, /frame 2 has no values for joint "rfemur"/);
  throwsAt(edit(15, "lowerback 1 2 3"), 15, /joint "lowerback" appears twice/);
  throwsAt(edit(14, ":DEGREES"), 14, /header line/);
  throwsAt(GOOD.slice(0, 3), 3, /no frames/);
});

Deno.test("parseAmc: a file cut off mid-number or mid-line, a gap in the frames, and inf are errors", async () => {
  const text = await Deno.readTextFile(new URL("tiny_01.amc", DIR));
  for (const cut of [3, 10, 45]) {
    const truncated = text.slice(0, text.length - cut); // mid-number, mid-line, a line earlier
    assert.throws(
      () => parseAmc(truncated, skeleton, "tiny_01.amc"),
      (e: unknown) => {
        assert.ok(e instanceof MocapFormatError, String(e));
        assert.match(e.message, /tiny_01\.amc", line \d+: the file ends in the middle of line/);
        assert.match(e.message, /without a newline: it looks cut off/);
        return true;
      },
      `cut ${cut}`,
    );
  }
  throwsAt([...GOOD.slice(0, 11), "3", ...GOOD.slice(12)], 12, /frame 3 follows frame 1/);
  throwsAt(
    [...GOOD.slice(0, 8), "rtibia inf", ...GOOD.slice(9)],
    9,
    /value 1 of joint "rtibia" is "inf": expected a finite number/,
  );
  throwsAt(
    [...GOOD.slice(0, 4), "root 1 2 3 -Inf 5 6", ...GOOD.slice(5)],
    5,
    /value 4 of joint "root" is "-Inf"/,
  );
});
