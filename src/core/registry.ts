/**
 * A registry of plain definitions keyed by id. A duplicate id throws; an unknown id throws and
 * lists the known ones. Tests build fresh registries; the project's own registrations live in
 * `src/registry.ts`.
 *
 * @module
 */

/** Anything with an id and a one-line description. */
export interface Definition {
  /** Unique id, lower-case, used in case ids and on the command line. */
  readonly id: string;
  /** One line for `--list` and the README. */
  readonly description: string;
}

/** A typed map of definitions of one kind ("model", "dataset", ...). */
export class Registry<T extends Definition> {
  /** What the registry holds, used in error messages. */
  readonly kind: string;
  #items = new Map<string, T>();

  /**
   * Creates an empty registry.
   *
   * @param kind what the registry holds, used in error messages ("model", "dataset").
   *
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const r = new Registry<{ id: string; description: string }>("thing");
   * r.register({ id: "a", description: "first" });
   * if (r.get("a").description !== "first") throw new Error();
   * ```
   */
  constructor(kind: string) {
    this.kind = kind;
  }

  /** Adds a definition; throws if the id is taken or malformed. */
  register(item: T): this {
    if (!/^[a-z0-9][a-z0-9_.-]*$/.test(item.id)) {
      throw new Error(
        `Cannot register ${this.kind} "${item.id}": ids are lower-case letters, digits, '_', '.', '-'`,
      );
    }
    if (this.#items.has(item.id)) {
      throw new Error(`Cannot register ${this.kind} "${item.id}": that id is already registered`);
    }
    this.#items.set(item.id, item);
    return this;
  }

  /** Looks up a definition; an unknown id throws and lists the known ones. */
  get(id: string): T {
    const item = this.#items.get(id);
    if (!item) {
      throw new Error(
        `Unknown ${this.kind} "${id}"; known ${this.kind}s: ${this.ids().join(", ") || "(none)"}`,
      );
    }
    return item;
  }

  /** Whether `id` is registered. */
  has(id: string): boolean {
    return this.#items.has(id);
  }

  /** All ids, sorted. */
  ids(): string[] {
    return [...this.#items.keys()].sort();
  }

  /** All definitions, sorted by id. */
  list(): T[] {
    return this.ids().map((id) => this.#items.get(id)!);
  }

  /** All definitions, in the order they were registered (e.g. the order of result columns). */
  inOrder(): T[] {
    return [...this.#items.values()];
  }
}
