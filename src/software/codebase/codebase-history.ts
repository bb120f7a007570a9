import { z } from 'zod';
import { Codebase, diffCodebase, type CodebaseDiff, type FilesLike } from './codebase.js';

/** One recorded version of the codebase. */
export interface CodebaseVersion {
  /** 1 for the first recorded version, then 2, 3, … */
  version: number;
  /** Phase that produced it (`coding`, `code-review`, …); a looping phase records several versions. */
  phase: string;
  /** The whole codebase at that point. */
  codebase: Codebase;
  /** What changed since the previous version (since the empty codebase for version 1). */
  diff: CodebaseDiff;
  /** When it was recorded (ISO 8601), if the caller gave a time. */
  recordedAt?: string;
}

const versionJsonSchema = z.object({
  phase: z.string().min(1),
  recordedAt: z.string().optional(),
  /** Files added or changed by this version. */
  set: z.record(z.string(), z.string()),
  /** Files removed by this version. */
  removed: z.array(z.string()),
});

/**
 * JSON form of a {@link CodebaseHistory}: each version stores only its
 * changes (files set and files removed) against the previous one, so a long
 * review loop that touches one file does not copy the whole project each time.
 */
export const codebaseHistoryJsonSchema = z.object({
  format: z.literal('crosstalk.codebase-history'),
  formatVersion: z.literal(1),
  versions: z.array(versionJsonSchema),
});
/** JSON form of a {@link CodebaseHistory}. */
export type CodebaseHistoryJson = z.infer<typeof codebaseHistoryJsonSchema>;

/**
 * The versions of a codebase through a chain, one per recorded phase (ChatDev
 * keeps the codebase after each phase). Append-only: {@link record} adds a
 * version; versions themselves are immutable.
 */
export class CodebaseHistory {
  readonly #versions: CodebaseVersion[] = [];

  /**
   * Records the codebase as it stands after `phase` and returns the new
   * version with its diff against the previous one. Recording an unchanged
   * codebase still adds a version (with an empty diff), so the history shows
   * that the phase ran.
   */
  record(phase: string, codebase: FilesLike, options: { recordedAt?: string } = {}): CodebaseVersion {
    if (phase.trim() === '') throw new TypeError('phase name is empty');
    const current = Codebase.from(codebase);
    const previous = this.latest()?.codebase ?? Codebase.empty;
    const version: CodebaseVersion = Object.freeze({
      version: this.#versions.length + 1,
      phase,
      codebase: current,
      diff: diffCodebase(previous, current),
      ...(options.recordedAt !== undefined ? { recordedAt: options.recordedAt } : {}),
    });
    this.#versions.push(version);
    return version;
  }

  /** All versions, oldest first. */
  get versions(): readonly CodebaseVersion[] {
    return [...this.#versions];
  }

  /** Number of versions. */
  get length(): number {
    return this.#versions.length;
  }

  /** The newest version, if any. */
  latest(): CodebaseVersion | undefined {
    return this.#versions.at(-1);
  }

  /** Version number `n` (1-based), if recorded. */
  at(version: number): CodebaseVersion | undefined {
    return Number.isInteger(version) && version >= 1 ? this.#versions[version - 1] : undefined;
  }

  /** Versions recorded by one phase, oldest first. */
  forPhase(phase: string): CodebaseVersion[] {
    return this.#versions.filter((v) => v.phase === phase);
  }

  /** What changed between two versions (version 0 is the empty codebase). */
  diff(from: number, to: number): CodebaseDiff {
    const pick = (n: number): Codebase => {
      if (n === 0) return Codebase.empty;
      const v = this.at(n);
      if (!v) throw new RangeError(`no codebase version ${n} (have 1..${this.#versions.length})`);
      return v.codebase;
    };
    return diffCodebase(pick(from), pick(to));
  }

  /** One line per version: `v3 code-review: +0 ~1 -0 (main.py)`. */
  summary(): string[] {
    return this.#versions.map((v) => {
      const touched = [...v.diff.added, ...v.diff.changed, ...v.diff.removed];
      const names =
        touched.length === 0
          ? 'no changes'
          : touched.slice(0, 5).join(', ') + (touched.length > 5 ? `, … ${touched.length - 5} more` : '');
      return `v${v.version} ${v.phase}: +${v.diff.added.length} ~${v.diff.changed.length} -${v.diff.removed.length} (${names})`;
    });
  }

  /** Serializable, delta-encoded form (see {@link codebaseHistoryJsonSchema}). */
  toJSON(): CodebaseHistoryJson {
    return {
      format: 'crosstalk.codebase-history',
      formatVersion: 1,
      versions: this.#versions.map((v) => {
        const set: Record<string, string> = {};
        for (const path of [...v.diff.added, ...v.diff.changed]) set[path] = v.codebase.get(path) ?? '';
        return {
          phase: v.phase,
          ...(v.recordedAt !== undefined ? { recordedAt: v.recordedAt } : {}),
          set,
          removed: [...v.diff.removed],
        };
      }),
    };
  }

  /** Rebuilds a history from its JSON form (validated; paths are checked again). */
  static fromJSON(json: unknown): CodebaseHistory {
    const parsed = codebaseHistoryJsonSchema.parse(json);
    const history = new CodebaseHistory();
    let current = Codebase.empty;
    for (const v of parsed.versions) {
      current = current.without(v.removed).merge(v.set);
      history.record(v.phase, current, v.recordedAt !== undefined ? { recordedAt: v.recordedAt } : {});
    }
    return history;
  }
}
