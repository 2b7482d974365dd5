/**
 * Test helper: copies an `.npz` with its arrays edited (an array removed, a value planted), for
 * tests of how loaders treat damaged data files.
 *
 * @module
 */
import { encodeNpy, encodeZip, type FixtureArray } from "../../fixtures/make_npz_fixtures.ts";
import { NpzFile } from "../io/npz.ts";

/** An array of an `.npz` as plain values, editable. */
export type NpzArray = FixtureArray;

/**
 * Reads every array of `source`, lets `edit` change the list, and writes the result (stored, not
 * compressed) to `dest`.
 *
 * @param source an `.npz` file.
 * @param dest where to write the edited copy.
 * @param edit gets the arrays in archive order and returns the arrays to write.
 */
export async function editNpz(
  source: string,
  dest: string,
  edit: (arrays: NpzArray[]) => NpzArray[],
): Promise<void> {
  const z = await NpzFile.open(source);
  const arrays: NpzArray[] = [];
  try {
    for (const key of z.keys()) {
      const a = await z.read(key);
      const values = Array.isArray(a.data)
        ? a.data
        : Array.from(a.data as ArrayLike<number | bigint>) as number[] | bigint[];
      arrays.push({ key, descr: a.descr, shape: a.shape, values });
    }
  } finally {
    z.close();
  }
  const files = edit(arrays).map((a) => ({
    name: `${a.key}.npy`,
    data: encodeNpy(a),
    deflate: false,
  }));
  await Deno.writeFile(dest, encodeZip(files));
}

/** `values` with `value` at flat index `at` (numbers only). */
export function plant(a: NpzArray, at: number, value: number): NpzArray {
  const values = [...(a.values as number[])];
  values[at] = value;
  return { ...a, values };
}
