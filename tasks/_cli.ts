/**
 * Shared command-line helpers for the tasks: strict flag parsing with one-line errors, and
 * duration formatting.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { RunInputError } from "../src/runner/input_error.ts";

/** A user error: printed as one line, exit code 2. */
export class CliError extends Error {
  override name = "CliError";
}

/** Parses flags strictly; unknown flags and missing values become a `CliError`. */
export function parseCli(
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  positionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals: pos } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: positionals,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals: pos };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    const known = Object.keys(options).map((k) => `--${k}`).join(", ");
    throw new CliError(`${msg}; accepted flags: ${known}`);
  }
}

/** `75_000` → `1m15s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * Runs a task's `main` as the program: its return value is the exit code; a `CliError` is
 * printed as one line `name: message` with exit code 2; anything else is a crash.
 */
export async function runCli(name: string, main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`${name}: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}

/** Runs `f`; bad input it reports ({@linkcode RunInputError}) becomes a CliError naming the flag. */
export async function cliInput<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RunInputError) {
      throw new CliError(e.option ? `--${e.option}: ${e.detail}` : e.detail);
    }
    throw e;
  }
}
