import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import { sha256Bytes } from './sha256.js';

/**
 * Content-addressed bodies: the text a run's model calls and artifacts carry,
 * each distinct piece stored once.
 *
 * A journaled request or response is split into a *skeleton* (its JSON with
 * every long string replaced by a marker and every number by 0), its numbers,
 * and its long strings; each long string is cut into lines. The skeleton and
 * every line of {@link lineMin} characters or more are bodies, stored once and
 * referred to by a small integer id; shorter lines stay inline. The same
 * system prompt, the same role skeleton, and an upstream artifact quoted line
 * by line in the prompts of every node after it are therefore written once,
 * however many calls repeat them. Bodies of {@link compressMin} characters or
 * more are stored deflated when that saves a quarter of their size.
 */

/** Strings at least this long leave the skeleton and are stored line by line. */
export const textMin = 32;
/** Lines at least this long are bodies; shorter ones stay inline in the packed record. */
export const lineMin = 16;
/** Bodies at least this long (UTF-16 units) are tried deflated. */
export const compressMin = 2048;
/** Stands for a long string in a skeleton. A short string starting with it is stored as a long one. */
const marker = '\u0000';
/** Entries the content → id cache holds before it starts over (ids stay valid; a miss asks the table). */
const idCacheLimit = 200_000;
/** Entries the id → content read cache holds before it starts over. */
const textCacheLimit = 20_000;

/** How a body's data is stored. */
const Encoding = {
  /** UTF-8 text, stored as TEXT. */
  raw: 0,
  /** Deflate (raw) of the UTF-8 text, stored as a BLOB. */
  deflate: 1,
} as const;

/**
 * SQL of the bodies table (schema v2). `hash`: the first 12 bytes (96 bits: no collision is expected below
 * 10^14 bodies) of the SHA-256 of the UTF-8 text.
 */
export const bodiesTableSql = `CREATE TABLE bodies (
  id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, enc INTEGER NOT NULL, data BLOB NOT NULL
)`;

/** One text as stored: its lines, each a body id or an inline string (neighbouring inline lines joined by `\n`). */
type PackedText = Array<number | string>;
/** One JSON value as stored: skeleton body id, numbers, long strings. */
type PackedValue = [skeleton: number, numbers: Array<number | null>, texts: PackedText[]];

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // a JSON key '__proto__' is an own property, not the prototype
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The value with long strings and numbers taken out (as `JSON.stringify` would see it). */
function strip(value: unknown, numbers: number[], texts: string[]): unknown {
  switch (typeof value) {
    case 'string':
      if (value.length >= textMin || value.startsWith(marker)) {
        texts.push(value);
        return marker;
      }
      return value;
    case 'number':
      numbers.push(value);
      return 0;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((v) => strip(v, numbers, texts));
      const proto = Object.getPrototypeOf(value);
      if (
        typeof (value as { toJSON?: unknown }).toJSON === 'function' ||
        (proto !== Object.prototype && proto !== null)
      )
        return strip(JSON.parse(JSON.stringify(value) ?? 'null'), numbers, texts); // dates, typed arrays: their JSON
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        if (key === '__proto__') setKey(out, key, strip(v, numbers, texts));
        else out[key] = strip(v, numbers, texts);
      }
      return out;
    }
    default:
      return value; // booleans; undefined and functions JSON drops or writes as null, as before
  }
}

/** The inverse of {@link strip}: markers and numbers filled back in, in the same order. */
function fill(value: unknown, numbers: Array<number | null>, texts: string[], at: { n: number; t: number }): unknown {
  if (value === marker) return texts[at.t++];
  if (typeof value === 'number') return numbers[at.n++];
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => fill(v, numbers, texts, at));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    setKey(out, key, fill((value as Record<string, unknown>)[key], numbers, texts, at));
  return out;
}

/** Rows of the bodies table and a store's caches of them. Writes must run inside the store's write transaction. */
export class BodyStore {
  private readonly ids = new Map<string, number>();
  private readonly texts = new Map<number, string>();
  private readonly skeletons = new Map<number, unknown>();
  private readonly find: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly get: Database.Statement;

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT id FROM bodies WHERE hash = ?').pluck();
    this.insert = db.prepare('INSERT OR IGNORE INTO bodies (hash, enc, data) VALUES (?, ?, ?)');
    this.get = db.prepare('SELECT enc, data FROM bodies WHERE id = ?');
  }

  /**
   * The id of the body holding `text`, inserting it if it is new. Ids are
   * cached: bodies are never deleted, so a cached id stays valid for as long
   * as the transaction that made it commits ({@link forget} after a rollback).
   */
  idOf(text: string): number {
    const cached = this.ids.get(text);
    if (cached !== undefined) return cached;
    const hash = sha256Bytes(text).subarray(0, 12);
    let enc: number = Encoding.raw;
    let data: string | Buffer = text;
    if (text.length >= compressMin) {
      const utf8 = Buffer.from(text);
      const deflated = deflateRawSync(utf8);
      if (deflated.length <= utf8.length * 0.75) {
        enc = Encoding.deflate;
        data = deflated;
      }
    }
    // a body not in the cache is usually new: insert first, look up only when it was there already
    const inserted = this.insert.run(hash, enc, data);
    const id = inserted.changes > 0 ? Number(inserted.lastInsertRowid) : (this.find.get(hash) as number);
    if (this.ids.size >= idCacheLimit) this.ids.clear();
    this.ids.set(text, id);
    return id;
  }

  /** The text of body `id`. */
  text(id: number): string {
    const cached = this.texts.get(id);
    if (cached !== undefined) return cached;
    const row = this.get.get(id) as { enc: number; data: string | Buffer } | undefined;
    if (!row) throw new Error(`body ${id} is missing from the store`);
    const text = row.enc === Encoding.deflate ? inflateRawSync(row.data as Buffer).toString() : String(row.data);
    if (this.texts.size >= textCacheLimit) this.texts.clear();
    this.texts.set(id, text);
    return text;
  }

  /** Drops the cached ids: a rolled-back transaction may have made some of them. */
  forget(): void {
    this.ids.clear();
  }

  /** A text as lines, long ones as body ids. */
  packText(text: string): PackedText {
    const out: PackedText = [];
    let inline: string | undefined;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      const line = end === -1 ? text.slice(start) : text.slice(start, end);
      if (line.length >= lineMin) {
        if (inline !== undefined) out.push(inline);
        inline = undefined;
        out.push(this.idOf(line));
      } else inline = inline === undefined ? line : `${inline}\n${line}`;
      if (end === -1) break;
      start = end + 1;
    }
    if (inline !== undefined) out.push(inline);
    return out;
  }

  unpackText(packed: PackedText): string {
    return packed.map((item) => (typeof item === 'number' ? this.text(item) : item)).join('\n');
  }

  /** A JSON value as stored: the JSON of its skeleton id, numbers and packed long strings. */
  pack(value: unknown): string {
    const numbers: number[] = [];
    const texts: string[] = [];
    const skeleton = JSON.stringify(strip(value ?? null, numbers, texts));
    const packed: PackedValue = [this.idOf(skeleton), numbers, texts.map((t) => this.packText(t))];
    return JSON.stringify(packed);
  }

  /** The value {@link pack} stored. */
  unpack(stored: string): unknown {
    const [skeletonId, numbers, texts] = JSON.parse(stored) as PackedValue;
    let skeleton = this.skeletons.get(skeletonId);
    if (skeleton === undefined) {
      skeleton = JSON.parse(this.text(skeletonId));
      if (this.skeletons.size >= textCacheLimit) this.skeletons.clear();
      this.skeletons.set(skeletonId, skeleton);
    }
    return fill(
      skeleton,
      numbers,
      texts.map((t) => this.unpackText(t)),
      { n: 0, t: 0 },
    );
  }
}
