/**
 * An on/off setting of the backend set-up that a call can give and an environment variable can
 * set in every thread (workers included), e.g. `REMUL_WEBGPU_BIND_CACHE=0` (private to this
 * folder).
 *
 * @module
 */

/**
 * Whether a switch is on, and what set it: the call's `setting` if given, else the variable
 * (`0` off, `1` on), else on by default.
 *
 * @throws Error naming the variable when it holds anything but 0, 1 or nothing.
 *
 * @example
 * ```ts
 * import { envSwitch } from "./_env_switch.ts";
 * const { on, source } = envSwitch("REMUL_EXAMPLE_SWITCH", false);
 * if (on || source !== "setting") throw new Error();
 * ```
 */
export function envSwitch(name: string, setting?: boolean): { on: boolean; source: string } {
  const env = Deno.env.get(name);
  if (env !== undefined && env !== "" && env !== "0" && env !== "1") {
    throw new Error(`${name}: expected 0 or 1, got "${env}"`);
  }
  if (setting !== undefined) return { on: setting, source: "setting" };
  return env ? { on: env !== "0", source: name } : { on: true, source: "default" };
}
