/**
 * Acclaim motion files (`.amc`): a header (`#` comments, `:FULLY-SPECIFIED`, `:DEGREES` or
 * `:RADIANS`), then frames, each an integer frame number followed by one line per joint,
 * `<joint> <values…>`. The root has one value per channel of the skeleton's `:root order`
 * (CMU: `TX TY TZ RX RY RZ`); every other joint one value per `dof` of its bone, in the ASF's
 * dof order. Parsed against a skeleton, so unknown joints and wrong value counts are caught at
 * the line where they occur.
 *
 * @module
 */
import { MocapFormatError, parseNumber, type Skeleton } from "./asf.ts";

/** One frame: the raw values per joint name, in the file's unit. */
export interface AmcFrame {
  /** The frame number as written. */
  readonly number: number;
  /** Values per joint (root: one per root channel; bones: one per dof). */
  readonly values: ReadonlyMap<string, readonly number[]>;
  /** Line of the frame number. */
  readonly line: number;
}

/** A parsed motion. */
export interface AmcMotion {
  /** The file's name or path, for messages. */
  readonly file: string;
  /** Unit of all angles in the file (`:DEGREES` or `:RADIANS`). */
  readonly angle: "deg" | "rad";
  /** Frames in file order. */
  readonly frames: readonly AmcFrame[];
}

/**
 * Parses an AMC motion against its skeleton.
 *
 * @param text the file's contents.
 * @param skeleton the ASF skeleton the motion drives.
 * @param file the file's name or path, used in error messages.
 * @returns the frames in file order.
 * @throws MocapFormatError naming the file and line: a file that ends mid-line (no newline
 *   after its last line: cut off mid-number or mid-line by an interrupted copy), no
 *   `:DEGREES`/`:RADIANS` header before the first frame, no frames, a joint line before the first
 *   frame number, a bad or out-of-sequence frame number (frames count up by one), an unknown or
 *   repeated joint, a wrong number of values, a bad or infinite number, a frame missing a joint
 *   that has degrees of freedom. (A file cut off exactly between two frames reads as a shorter
 *   motion; `mocap.ts` checks trials of known length.)
 *
 * @example
 * ```ts
 * import { parseAsf } from "./asf.ts";
 * import { parseAmc } from "./amc.ts";
 * const skeleton = parseAsf(
 *   ":bonedata\n begin\n name hip\n direction 0 -1 0\n length 2\n axis 0 0 0 XYZ\n dof rx\n end\n" +
 *     ":hierarchy\n begin\n root hip\n end\n",
 *   "two.asf",
 * );
 * const m = parseAmc(":DEGREES\n1\nroot 0 0 0 0 0 0\nhip 30\n", skeleton, "two_01.amc");
 * if (m.frames.length !== 1 || m.frames[0].values.get("hip")![0] !== 30) throw new Error();
 * ```
 */
export function parseAmc(text: string, skeleton: Skeleton, file: string): AmcMotion {
  const raw = text.split(/\r?\n/);
  const fail = (line: number, problem: string): never => {
    throw new MocapFormatError("AMC", file, line, problem);
  };
  const expected = new Map<string, number>([["root", skeleton.root.order.length]]);
  for (const j of skeleton.joints) if (j.bone) expected.set(j.name, j.bone.dof.length);
  const required = [...expected].filter(([, n]) => n > 0).map(([name]) => name);

  const lastLine = raw.length; // after the final newline: "" for a complete file
  if (raw[lastLine - 1].trim() !== "") {
    fail(
      lastLine,
      `the file ends in the middle of line ${lastLine} ("${
        raw[lastLine - 1].trim().slice(0, 40)
      }"), without a newline: it looks cut off (an interrupted copy or download); a complete ` +
        `AMC file ends with a newline`,
    );
  }
  let angle: "deg" | "rad" | null = null;
  const frames: AmcFrame[] = [];
  let current: { number: number; line: number; values: Map<string, number[]> } | null = null;
  const close = () => {
    if (!current) return;
    for (const name of required) {
      if (!current.values.has(name)) {
        fail(current.line, `frame ${current.number} has no values for joint "${name}"`);
      }
    }
    frames.push(current);
  };
  for (let i = 0; i < raw.length; i++) {
    const no = i + 1;
    const t = raw[i].trim();
    if (t === "" || t.startsWith("#")) continue;
    if (t.startsWith(":")) {
      if (current) fail(no, `header line "${t}" after the first frame`);
      const k = t.toUpperCase();
      if (k === ":DEGREES") angle = "deg";
      else if (k === ":RADIANS") angle = "rad";
      continue; // :FULLY-SPECIFIED and other flags
    }
    const tokens = t.split(/\s+/);
    if (tokens.length === 1 && !expected.has(tokens[0])) {
      if (!/^\d+$/.test(tokens[0])) fail(no, `bad frame number "${tokens[0]}"`);
      if (angle === null) fail(no, `missing ":DEGREES" or ":RADIANS" before the first frame`);
      const number = Number(tokens[0]);
      if (current && number !== current.number + 1) {
        fail(no, `frame ${number} follows frame ${current.number}: frames must count up by one`);
      }
      close();
      current = { number, line: no, values: new Map() };
      continue;
    }
    if (!current) fail(no, `joint line "${tokens[0]}" before the first frame number`);
    const name = tokens[0];
    const want = expected.get(name);
    if (want === undefined) fail(no, `unknown joint "${name}"`);
    if (current!.values.has(name)) {
      fail(no, `joint "${name}" appears twice in frame ${current!.number}`);
    }
    if (tokens.length - 1 !== want) {
      fail(no, `joint "${name}" needs ${want} values, got ${tokens.length - 1}`);
    }
    const values = tokens.slice(1).map((v) => parseNumber("AMC", file, no, v, `joint "${name}"`));
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      fail(
        no,
        `value ${bad + 1} of joint "${name}" is "${tokens[bad + 1]}": expected a finite number`,
      );
    }
    current!.values.set(name, values);
  }
  const end = Math.max(1, raw.length - 1); // the last line (the text ends with a newline)
  if (angle === null) fail(end, `missing ":DEGREES" or ":RADIANS" header`);
  close();
  if (frames.length === 0) fail(end, "no frames");
  return { file, angle: angle!, frames };
}
