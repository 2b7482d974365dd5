import assert from "node:assert/strict";
import {
  allFixtures,
  dtypeArrays,
  encodeNpy,
  encodeZip,
  type FixtureArray,
  MD17_FRAMES,
  MD17_Z,
  md17TinyArrays,
  versionArrays,
} from "../../fixtures/make_npz_fixtures.ts";
import { firstNonFinite, NpzError, NpzFile } from "./npz.ts";

const NPZ = "fixtures/npz";

/** Compares a read array with the fixture's definition. */
async function checkArray(z: NpzFile, a: FixtureArray): Promise<void> {
  const got = await z.read(a.key);
  assert.equal(got.descr, a.descr, `${a.key}: descr`);
  assert.deepEqual(got.shape, [...a.shape], `${a.key}: shape`);
  const values = Array.isArray(got.data) ? got.data : Array.from(got.data as ArrayLike<unknown>);
  assert.deepEqual(values, [...a.values], `${a.key}: values`);
}

const TYPED: Record<string, unknown> = {
  f8: Float64Array,
  f4: Float32Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  u8: BigUint64Array,
  b1: Uint8Array,
};

async function tempCopy(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".npz" });
  await Deno.writeFile(path, bytes);
  return path;
}

async function rejects(f: () => Promise<unknown>, pattern: RegExp, path: string): Promise<void> {
  await assert.rejects(f, (e: unknown) => {
    assert.ok(e instanceof NpzError, `expected NpzError, got ${e}`);
    assert.ok(e.message.includes(`"${path}"`), `message does not name the file: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("fixtures on disk are what make_npz_fixtures.ts generates", async () => {
  for (const [path, bytes] of allFixtures()) {
    assert.deepEqual(await Deno.readFile(path), bytes, `${path} is stale: rerun the generator`);
  }
});

for (
  const [file, chunkSize] of [["dtypes_stored", 4 << 20], ["dtypes_deflate", 4 << 20], [
    "dtypes_deflate",
    7,
  ], ["dtypes_stored", 5]] as const
) {
  Deno.test(`every supported dtype reads back: ${file}.npz, chunks of ${chunkSize} bytes`, async () => {
    using z = await NpzFile.open(`${NPZ}/${file}.npz`, { chunkSize });
    const arrays = dtypeArrays("<");
    assert.deepEqual(z.keys(), arrays.map((a) => a.key));
    for (const a of arrays) {
      await checkArray(z, a);
      const ctor = TYPED[a.key];
      if (ctor) assert.ok((await z.read(a.key)).data instanceof (ctor as typeof Uint8Array));
    }
    assert.equal((await z.read("b1")).dtype, "bool");
    assert.deepEqual(await z.readStrings("name"), ["aspirin"]);
    assert.deepEqual(await z.readStrings("S"), ["", "ab", "xyz"]);
  });
}

Deno.test("big-endian arrays are byte-swapped", async () => {
  using z = await NpzFile.open(`${NPZ}/big_endian.npz`);
  for (const a of dtypeArrays(">")) await checkArray(z, a);
  // Same values as the little-endian file.
  using le = await NpzFile.open(`${NPZ}/dtypes_stored.npz`);
  assert.deepEqual(await z.readFloat64("f8"), await le.readFloat64("f8"));
});

Deno.test(".npy versions 1.0, 2.0, 3.0 and Fortran order", async () => {
  using z = await NpzFile.open(`${NPZ}/versions.npz`);
  for (const a of versionArrays()) await checkArray(z, a);
  assert.deepEqual((await z.describe("v2")).version, [2, 0]);
  assert.deepEqual((await z.describe("v3")).version, [3, 0]);
  assert.deepEqual([...(await z.readInt32("fortran", [2, 3]))], [0, 1, 2, 10, 11, 12]);
});

Deno.test("zip64 archives (zip64 extras and end records) read", async () => {
  using z = await NpzFile.open(`${NPZ}/zip64.npz`);
  for (const a of dtypeArrays("<").slice(0, 4)) await checkArray(z, a);
});

for (const file of ["numpy_stored", "numpy_compressed"]) {
  Deno.test(`cross-check against a file written by NumPy: ${file}.npz`, async () => {
    const path = `${NPZ}/${file}.npz`;
    using z = await NpzFile.open(path);
    assert.deepEqual(
      z.keys().sort(),
      ["b", "f4_be", "f8", "fortran", "i8", "name", "raw", "scalar", "u2", "words"],
    );
    assert.deepEqual(
      [...(await z.readFloat64("f8", [3, 4]))],
      Array.from({ length: 12 }, (_, i) => i / 8),
    );
    const f4 = await z.read("f4_be");
    assert.equal(f4.descr, ">f4");
    assert.deepEqual([...(f4.data as Float32Array)], [0, 1, 2, 3, 4, 5].map((i) => i - 2.5));
    const i8 = await z.read("i8");
    assert.deepEqual(
      [...(i8.data as BigInt64Array)],
      [-3n, -2n, -1n, 0n, 1n, 2n].map((i) => i * 1_000_000_007n),
    );
    assert.deepEqual([...(await z.readInt32("u2"))], [0, 300, 600, 900, 1200]);
    const b = await z.read("b");
    assert.equal(b.dtype, "bool");
    assert.deepEqual([...(b.data as Uint8Array)], [1, 0, 1]);
    assert.deepEqual([...(await z.readInt32("fortran", [2, 3]))], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await z.readStrings("name"), ["aspirin"]);
    assert.deepEqual((await z.read("name")).shape, []);
    assert.deepEqual(await z.readStrings("words"), ["a", "bc", "déf"]);
    assert.deepEqual(await z.readStrings("raw"), ["xy", "z"]);
    assert.deepEqual([...(await z.readFloat32("scalar", []))], [2.5]);
  });
}

Deno.test("md17_tiny.npz has the sGDML layout, stored and compressed alike", async () => {
  const want = new Map(md17TinyArrays().map((a) => [a.key, a]));
  for (const file of ["md17_tiny", "md17_tiny_compressed"]) {
    using z = await NpzFile.open(`fixtures/md17/${file}.npz`);
    assert.deepEqual(z.keys().sort(), ["E", "F", "R", "md5", "name", "theory", "type", "z"]);
    const n = MD17_Z.length;
    assert.deepEqual((await z.describe("R")).shape, [MD17_FRAMES, n, 3]);
    const r = await z.readFloat64("R", [-1, n, 3]);
    assert.deepEqual([...r], want.get("R")!.values);
    const r32 = await z.readFloat32("R", [MD17_FRAMES, n, 3]);
    assert.equal(r32[5], Math.fround(r[5]));
    assert.deepEqual([...(await z.readInt32("z", [n]))], MD17_Z);
    assert.equal((await z.readFloat64("E", [MD17_FRAMES, 1])).length, MD17_FRAMES);
    assert.equal((await z.readFloat64("F", [MD17_FRAMES, n, 3])).length, MD17_FRAMES * n * 3);
    for (const key of ["name", "theory", "md5", "type"]) {
      assert.deepEqual(await z.readStrings(key), want.get(key)!.values);
    }
    // Concurrent reads on one handle are serialised and stay correct.
    const [e1, z1, e2] = await Promise.all([z.read("E"), z.read("z"), z.read("E")]);
    assert.deepEqual(e1.data, e2.data);
    assert.equal(z1.shape[0], n);
  }
});

Deno.test("unsupported dtypes are rejected by name", async () => {
  const path = `${NPZ}/unsupported.npz`;
  using z = await NpzFile.open(path);
  assert.deepEqual([...(await z.readInt32("ok"))], [1, 2]);
  for (const [key, descr] of [["c16", "<c16"], ["f2", "<f2"], ["obj", "|O"]]) {
    await rejects(() => z.read(key), new RegExp(`"${key}".*unsupported dtype "\\${descr}"`), path);
  }
});

Deno.test("error: truncated archive", async () => {
  const bytes = await Deno.readFile(`${NPZ}/dtypes_deflate.npz`);
  const cut = await tempCopy(bytes.subarray(0, bytes.length >> 1));
  await rejects(() => NpzFile.open(cut), /truncated/, cut);
  // A central directory that points past the end of the file.
  const lying = bytes.slice();
  const dv = new DataView(lying.buffer);
  dv.setUint32(lying.length - 6, lying.length, true); // central directory offset
  const bad = await tempCopy(lying);
  await rejects(() => NpzFile.open(bad), /truncated/, bad);
  // An entry whose recorded size runs past the end of the file.
  const long = bytes.slice();
  const lv = new DataView(long.buffer);
  const cdOffset = lv.getUint32(long.length - 6, true);
  lv.setUint32(cdOffset + 20, 1_000_000, true); // compressed size of the first entry ("f8")
  const longPath = await tempCopy(long);
  using z = await NpzFile.open(longPath);
  await rejects(() => z.read("f8"), /truncated: entry "f8.npy" needs bytes up to/, longPath);
  await Deno.remove(longPath);
  await Deno.remove(cut);
  await Deno.remove(bad);
});

Deno.test("error: corrupt entry data (CRC) and corrupt .npy header", async () => {
  const bytes = (await Deno.readFile(`${NPZ}/dtypes_stored.npz`)).slice();
  bytes[200] ^= 0xff; // inside the first entry's data
  const crcPath = await tempCopy(bytes);
  using z = await NpzFile.open(crcPath);
  await rejects(() => z.read("f8"), /corrupt: CRC-32/, crcPath);

  // A version 1.0 header whose dict is cut short (no fortran_order, unbalanced tuple).
  const dict = "{'descr': '<f8', 'shape': (2,}\n";
  const npy = Uint8Array.from(
    `\x93NUMPY\x01\x00${String.fromCharCode(dict.length)}\x00${dict}`,
    (c) => c.charCodeAt(0),
  );
  const headerPath = await tempCopy(
    encodeZip([{ name: "x.npy", data: npy, deflate: true }, {
      name: "y.npy",
      data: new TextEncoder().encode("not an npy file at all"),
      deflate: false,
    }]),
  );
  using h = await NpzFile.open(headerPath);
  await rejects(() => h.read("x"), /array "x": corrupt \.npy header/, headerPath);
  await rejects(() => h.read("y"), /array "y": corrupt \.npy header: the magic string/, headerPath);
  await Deno.remove(crcPath);
  await Deno.remove(headerPath);
});

Deno.test("error: missing key lists the keys", async () => {
  const path = "fixtures/md17/md17_tiny.npz";
  using z = await NpzFile.open(path);
  await rejects(
    () => z.read("X"),
    /key "X" is missing; keys: R, z, E, F, name, theory, md5, type/,
    path,
  );
  await rejects(() => z.describe("X"), /missing/, path);
  assert.equal(z.has("R"), true);
  assert.equal(z.has("R.npy"), false);
});

Deno.test("error: shape mismatch says expected and got", async () => {
  const path = "fixtures/md17/md17_tiny.npz";
  using z = await NpzFile.open(path);
  await rejects(
    () => z.readFloat32("R", [MD17_FRAMES, 8, 3]),
    /array "R" has shape \[300, 9, 3\], expected \[300, 8, 3\]/,
    path,
  );
  await rejects(() => z.readFloat32("z", [-1, 1]), /expected \[\*, 1\]/, path);
  await rejects(() => z.readFloat32("name"), /string dtype <U29, expected numbers/, path);
  await rejects(() => z.readInt32("R"), /expected an integer dtype/, path);
});

Deno.test("readFloat64/32 with finite: a NaN or ∞ names file, key, first index and count", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/bad.npz`;
  const values = Array.from({ length: 24 }, (_, i) => i / 7);
  values[13] = NaN;
  values[20] = Infinity;
  await Deno.writeFile(
    path,
    encodeZip([{
      name: "R.npy",
      data: encodeNpy({ key: "R", descr: "<f8", shape: [2, 4, 3], values }),
      deflate: false,
    }]),
  );
  const z = await NpzFile.open(path);
  assert.equal((await z.readFloat64("R")).length, 24, "without the option, read as is");
  for (
    const read of [
      () => z.readFloat64("R", [-1, 4, 3], { finite: true }),
      () => z.readFloat32("R", undefined, { finite: true }),
    ]
  ) {
    await assert.rejects(read, (e: unknown) => {
      assert.ok(e instanceof NpzError);
      assert.match(
        e.message,
        /Cannot read npz file ".*bad\.npz": array "R" holds a non-finite value: NaN at index \[1, 0, 1\] \(2 of 24 values are NaN or infinite\); expected finite numbers/,
      );
      return true;
    });
  }
  z.close();
  assert.deepEqual(firstNonFinite(new Float32Array([1, 2]), [2]), null);
  await Deno.remove(dir, { recursive: true });
});
