/**
 * Where the MoCap data of a config is: the file it names (a positions `.npz`, or an `.asf` with
 * its `<stem>_NN.amc` trials beside it), else the data folder (a positions `.npz` first, then the
 * raw CMU files). Missing data is a `DatasetUnavailableError` with the download command.
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DatasetUnavailableError } from "./dataset.ts";
import { type MocapConfig, motionProtocol } from "./mocap_protocol.ts";
import { mocapFileNames } from "./mocap_sources.ts";

const REPO_ROOT = new URL("../../", import.meta.url);

/** The shell command that downloads the raw CMU files of a motion. */
export function mocapDownloadCommand(motion: string, dataDir: string): string {
  const dir = /^[\w./-]+$/.test(dataDir) ? dataDir : `'${dataDir.replaceAll("'", "'\\''")}'`;
  return `deno task data mocap ${motion} --data-dir ${dir}`;
}

function candidates(file: string): string[] {
  if (isAbsolute(file)) return [file];
  const out = [resolve(file)];
  if (REPO_ROOT.protocol === "file:") out.push(join(fileURLToPath(REPO_ROOT), file));
  return [...new Set(out)];
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Where the data comes from. */
export type MocapSource =
  | { readonly kind: "positions"; readonly path: string }
  | { readonly kind: "raw"; readonly asf: string; readonly amc: readonly string[] };

/**
 * Finds the data for a config: `file` if given, else the data folder (a positions `.npz` first,
 * then the raw CMU files).
 *
 * @throws DatasetUnavailableError naming the missing file, where it was looked for, and the
 *   download command; Error for a `file` that is neither `.npz` nor `.asf`, or too few trials.
 */
export function locateMocapSource(config: MocapConfig, dataDir: string): MocapSource {
  const protocol = motionProtocol(config.motion);
  const command = mocapDownloadCommand(config.motion, dataDir);
  if (config.file !== "") {
    const found = candidates(config.file).find(exists);
    if (!found) {
      throw new DatasetUnavailableError(
        `mocap: file "${config.file}" not found (looked at ${
          candidates(config.file).join(", ")
        }); get the CMU data with: ${command}`,
      );
    }
    if (found.endsWith(".npz")) return { kind: "positions", path: found };
    if (!found.toLowerCase().endsWith(".asf")) {
      throw new Error(`mocap: file "${config.file}" must be a positions .npz or an .asf skeleton`);
    }
    const stem = basename(found).replace(/\.asf$/i, "");
    const dir = dirname(found);
    const re = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_(\\d+)\\.amc$`, "i");
    const amc = [...Deno.readDirSync(dir)]
      .map((e) => ({ name: e.name, m: re.exec(e.name) }))
      .filter((e) => e.m)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
      .map((e) => join(dir, e.name));
    if (amc.length < protocol.trials) {
      throw new Error(
        `mocap: motion "${config.motion}" needs ${protocol.trials} trials, found ${amc.length} ` +
          `files ${stem}_NN.amc beside "${found}"`,
      );
    }
    return { kind: "raw", asf: found, amc: amc.slice(0, protocol.trials) };
  }
  const positions = join(dataDir, protocol.positionsFile);
  if (exists(positions)) return { kind: "positions", path: positions };
  const names = mocapFileNames(config.motion);
  const missing = [names.asf, ...names.amc].filter((n) => !exists(join(dataDir, n)));
  if (missing.length > 0) {
    throw new DatasetUnavailableError(
      `mocap: ${config.motion} data not found in ${resolve(dataDir)}: neither ` +
        `${protocol.positionsFile} nor the CMU files (missing ${missing.slice(0, 3).join(", ")}${
          missing.length > 3 ? `, … ${missing.length} files` : ""
        }); get them with: ${command}`,
    );
  }
  return {
    kind: "raw",
    asf: join(dataDir, names.asf),
    amc: names.amc.map((n) => join(dataDir, n)),
  };
}
