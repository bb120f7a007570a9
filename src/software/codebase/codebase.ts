import { z } from 'zod';
import { PathSafetyError } from '../../errors/index.js';
import { checkRelativePath } from './safe-path.js';

/** Files by normalised relative POSIX path (`src/app.py` → its text). */
export type Files = Record<string, string>;

/** One file of a codebase. */
export interface CodeFile {
  /** Normalised relative POSIX path, e.g. `src/app.py`. */
  path: string;
  /** Full text of the file, ending with a newline. */
  content: string;
  /** Language from the fence's info string or the extension (`python`, `javascript`, …), when known. */
  language?: string;
}

/** Anything that holds files: a {@link Codebase}, a path→content record, or a list of {@link CodeFile}s. */
export type FilesLike = Codebase | Files | readonly CodeFile[];

/** Files a {@link diffCodebase} found added, changed or removed, each list sorted. */
export interface CodebaseDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** JSON form of a {@link Codebase}: `{ files: { path: content } }`. */
export const codebaseJsonSchema = z.object({ files: z.record(z.string(), z.string()) });
/** JSON form of a {@link Codebase}. */
export type CodebaseJson = z.infer<typeof codebaseJsonSchema>;

/** Entries of any {@link FilesLike}, unchecked and in their given order. */
export function fileEntries(files: FilesLike): Array<[string, string]> {
  if (files instanceof Codebase) return files.entries();
  if (Array.isArray(files)) return (files as readonly CodeFile[]).map((f) => [f.path, f.content]);
  return Object.entries(files as Files);
}

/**
 * An immutable set of files: a map from normalised relative path to content.
 * Every path is checked with {@link checkRelativePath} when the codebase is
 * built, so a `Codebase` never holds a path that escapes its directory.
 * Operations return new codebases; {@link Codebase.toJSON} makes it
 * serializable.
 */
export class Codebase {
  readonly #files: ReadonlyMap<string, string>;

  private constructor(files: Map<string, string>) {
    this.#files = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    Object.freeze(this);
  }

  /** The codebase with no files. */
  static readonly empty: Codebase = new Codebase(new Map());

  /**
   * Builds a codebase from files. Paths are normalised (`./src\\a.py` →
   * `src/a.py`); an unsafe path throws a {@link PathSafetyError}. A later entry
   * for the same path replaces an earlier one.
   */
  static from(files: FilesLike): Codebase {
    if (files instanceof Codebase) return files;
    const map = new Map<string, string>();
    for (const [path, content] of fileEntries(files)) {
      const checked = checkRelativePath(path);
      if (!checked.ok) throw new PathSafetyError({ path, reason: checked.reason });
      if (typeof content !== 'string') throw new TypeError(`content of ${checked.path} is not a string`);
      map.set(checked.path, content);
    }
    return new Codebase(map);
  }

  /** Reads the JSON form back (validated); paths are checked again. */
  static fromJSON(json: unknown): Codebase {
    return Codebase.from(codebaseJsonSchema.parse(json).files);
  }

  /** Number of files. */
  get size(): number {
    return this.#files.size;
  }

  /** File paths, sorted. */
  paths(): string[] {
    return [...this.#files.keys()];
  }

  /** Content of a file (the path is normalised first), or `undefined`. */
  get(path: string): string | undefined {
    const checked = checkRelativePath(path);
    return checked.ok ? this.#files.get(checked.path) : undefined;
  }

  /** Whether the codebase has this file. */
  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** `[path, content]` pairs, sorted by path. */
  entries(): Array<[string, string]> {
    return [...this.#files.entries()];
  }

  /** The files as {@link CodeFile}s, sorted by path. */
  files(): CodeFile[] {
    return this.entries().map(([path, content]) => ({ path, content }));
  }

  /** A plain path→content record (a copy). */
  toFiles(): Files {
    return Object.fromEntries(this.#files);
  }

  /** A new codebase where each of `files` replaces the file of the same path (see {@link mergeCodebase}). */
  merge(files: FilesLike): Codebase {
    return mergeCodebase(this, files);
  }

  /** A new codebase without these paths. */
  without(paths: Iterable<string>): Codebase {
    const map = new Map(this.#files);
    for (const path of paths) {
      const checked = checkRelativePath(path);
      if (checked.ok) map.delete(checked.path);
    }
    return new Codebase(map);
  }

  /** Same paths with the same contents. */
  equals(other: Codebase): boolean {
    if (other.size !== this.size) return false;
    for (const [path, content] of this.#files) if (other.#files.get(path) !== content) return false;
    return true;
  }

  /** Serializable form: `{ files: { path: content } }`, paths sorted. */
  toJSON(): CodebaseJson {
    return { files: this.toFiles() };
  }
}

/**
 * ChatDev's codebase update: each reply overwrites the files it names and
 * leaves the others as they were (a reply never deletes a file by omitting
 * it). Returns a new codebase; `previous` is unchanged.
 */
export function mergeCodebase(previous: FilesLike, newFiles: FilesLike): Codebase {
  const base = Codebase.from(previous);
  const incoming = Codebase.from(newFiles);
  if (incoming.size === 0) return base;
  const map = new Map(base.entries());
  for (const [path, content] of incoming.entries()) map.set(path, content);
  return Codebase.from(Object.fromEntries(map));
}

/** Which files `after` added, changed or removed relative to `before`. */
export function diffCodebase(before: FilesLike, after: FilesLike): CodebaseDiff {
  const a = Codebase.from(before);
  const b = Codebase.from(after);
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [path, content] of b.entries()) {
    const old = a.get(path);
    if (old === undefined) added.push(path);
    else if (old !== content) changed.push(path);
  }
  for (const path of a.paths()) if (!b.has(path)) removed.push(path);
  return { added, changed, removed };
}
