/**
 * What tfjs, V8 and WebAssembly say when memory runs out or a GPU device is lost. Their throw
 * sites are not ours, so these failures can only be recognised by their text; this is the one
 * place that does it (the runner classifies failed cases with it, models that know their memory
 * needs rethrow with context through it).
 *
 * @module
 */

const OUT_OF_MEMORY = [
  /out of memory|\bOOM\b|GPUOutOfMemoryError/i, // generic, emscripten "Aborted(OOM)", WebGPU
  /allocation failed|cannot allocate|failed to allocate|invalid (typed )?array length/i, // V8
  /offset is out of bounds/i, // tfjs-wasm when the wasm heap cannot grow
  /WebAssembly\.Memory|failed to grow|cannot enlarge memory|memory access out of bounds/i,
  /createbuffer|max(imum)? ?buffer ?size/i, // WebGPU buffers
  // tfjs-backend-wasm is built without assertions: a failed allocation in its heap aborts with
  // only this message (it is how every over-large batch of the cost suite failed on wasm).
  /RuntimeError: Aborted\(\)/,
];
const DEVICE_LOST = /device (was |is )?lost|DeviceLost|GPUDevice.*destroyed/i;

/**
 * Whether an error's text (or a dead worker's message) says memory ran out.
 *
 * @example
 * ```ts
 * import { isOutOfMemoryText } from "./runtime_failure.ts";
 * if (!isOutOfMemoryText("RangeError: offset is out of bounds")) throw new Error();
 * ```
 */
export function isOutOfMemoryText(text: string): boolean {
  return OUT_OF_MEMORY.some((re) => re.test(text));
}

/** Whether an error's text says the GPU device was lost. */
export function isDeviceLostText(text: string): boolean {
  return DEVICE_LOST.test(text);
}

/** An error's name and message as one line of text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
