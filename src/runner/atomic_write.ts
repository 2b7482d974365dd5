/**
 * Atomic file writes for result files: the text goes to a temporary file in the same folder,
 * which is then renamed over the target. A reader (or a crash, or Ctrl-C) sees the old file or
 * the new one, never a half-written or empty one; a failed write leaves the old file as it was
 * and removes the temporary file. The data is synced to disk before the rename.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/**
 * Writes `text` to `path` atomically (temporary file in the same folder + rename).
 *
 * @param path the file to replace or create.
 * @param text its new contents.
 * @throws Error (a `Deno.errors.*`) when the folder cannot be written; the target is unchanged.
 *
 * @example
 * ```ts
 * import { writeTextFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTextFileAtomic(`${dir}/a.txt`, "one\n");
 * await writeTextFileAtomic(`${dir}/a.txt`, "two\n");
 * if (await Deno.readTextFile(`${dir}/a.txt`) !== "two\n") throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
      await file.syncData(); // on disk before the rename makes it visible
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
