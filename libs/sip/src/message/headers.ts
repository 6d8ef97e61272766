import { HeaderName, resolveHeaderName } from './header-names';

/** Returned by SipHeaders.cached when nothing is cached under the key. */
export const NOT_CACHED: unique symbol = Symbol('not cached');

/**
 * Slot of each typed-cache key, assigned on first use: the keys are the few typed headers, so a
 * message's cache is a short array read by index instead of a Map grown and hashed per message.
 */
const CACHE_SLOTS = new Map<string, number>();

/** Slot of a typed-cache key in every message's cache (see SipHeaders.cachedAt). */
export function cacheSlot(cacheKey: string): number {
  let slot = CACHE_SLOTS.get(cacheKey);
  if (slot === undefined) {
    slot = CACHE_SLOTS.size;
    CACHE_SLOTS.set(cacheKey, slot);
  }
  return slot;
}

export interface HeaderField {
  /** Name as it will be written (canonical spelling for known headers). */
  readonly name: string;
  /** Lookup key: lower-cased, compact form expanded. */
  readonly key: string;
  /** Value with folding replaced by one space and surrounding whitespace trimmed. */
  readonly value: string;
  /** HeaderName.ordinal of the key. */
  readonly ordinal: number;
}

/** A field named `given` (any spelling) with `value`. */
function fieldOf(given: string, value: string): HeaderField {
  const { key, display, ordinal } = resolveHeaderName(given);
  return { name: display, key, value, ordinal };
}

/**
 * The header fields of a message in order. Names are case-insensitive and compact forms are
 * equivalent (RFC 3261 §7.3.1, §7.3.3). Typed values parsed from the fields are cached here and
 * dropped on every change, so a parsed value never outlives the text it came from.
 */
export class SipHeaders implements Iterable<HeaderField> {
  private fields: HeaderField[] = [];
  /** Typed values by cacheSlot, NOT_CACHED in the slots between (kept packed, without holes). */
  private typedCache: unknown[] = [];

  constructor(fields?: Iterable<readonly [string, string]>) {
    if (fields !== undefined) for (const [name, value] of fields) this.add(name, value);
  }

  get size(): number {
    return this.fields.length;
  }

  /** Value of the first field with this name. */
  get(name: string): string | undefined {
    const key = resolveHeaderName(name).key;
    for (const field of this.fields) if (field.key === key) return field.value;
    return undefined;
  }

  /** Values of every field with this name, one per header line (comma lists are not split here). */
  getAll(name: string): string[] {
    const key = resolveHeaderName(name).key;
    const values: string[] = [];
    for (const field of this.fields) if (field.key === key) values.push(field.value);
    return values;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Appends a field. */
  add(name: string, value: string): this {
    this.fields.push(fieldOf(name, value));
    this.clearCache();
    return this;
  }

  /** Inserts a field before the existing ones (a proxy's Via, a Record-Route …). */
  prepend(name: string, value: string): this {
    this.fields.unshift(fieldOf(name, value));
    this.clearCache();
    return this;
  }

  /** Replaces every field with this name by one field, in the place of the first one. */
  set(name: string, value: string): this {
    const field = fieldOf(name, value);
    const at = this.fields.findIndex((f) => f.key === field.key);
    if (at === -1) return this.add(name, value);
    this.fields = this.fields.filter((f, i) => i === at || f.key !== field.key);
    this.fields[at] = field;
    this.clearCache();
    return this;
  }

  /**
   * Replaces the value of the first field with this name, in its place (a top Via stamped with
   * `received`). Only that name's typed value is dropped: a cached value is parsed from the fields
   * of its own name alone (cache keys are header keys), so the others stay valid and are not
   * parsed again (clearing them all cost every request a second parse of From, To, CSeq …).
   */
  replaceFirst(name: string, value: string): this {
    const field = fieldOf(name, value);
    const at = this.fields.findIndex((f) => f.key === field.key);
    if (at === -1) return this.add(name, value);
    this.fields[at] = field;
    const slot = CACHE_SLOTS.get(field.key);
    if (slot !== undefined && slot < this.typedCache.length) this.typedCache[slot] = NOT_CACHED;
    return this;
  }

  delete(name: string): this {
    const key = resolveHeaderName(name).key;
    this.fields = this.fields.filter((f) => f.key !== key);
    this.clearCache();
    return this;
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  /** A typed value cached for the current content, or NOT_CACHED. */
  cached(cacheKey: string): unknown {
    return this.cachedAt(cacheSlot(cacheKey));
  }

  /** cached() by the key's cacheSlot, for callers that looked the slot up once. */
  cachedAt(slot: number): unknown {
    return slot < this.typedCache.length ? this.typedCache[slot] : NOT_CACHED;
  }

  /** Remembers a typed value parsed from the current content; dropped on the next change. */
  cache<T>(cacheKey: string, value: T): T {
    return this.cacheAt(cacheSlot(cacheKey), value);
  }

  /** cache() by the key's cacheSlot. */
  cacheAt<T>(slot: number, value: T): T {
    while (this.typedCache.length < slot) this.typedCache.push(NOT_CACHED);
    this.typedCache[slot] = value;
    return value;
  }

  private clearCache(): void {
    if (this.typedCache.length > 0) this.typedCache = [];
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    copy.fields = [...this.fields];
    return copy;
  }

  /** Used by the parser: a field whose name is already resolved, without touching the cache. */
  appendParsed(name: HeaderName, value: string): void {
    this.fields.push({ name: name.display, key: name.key, value, ordinal: name.ordinal });
  }
}
