/**
 * What a parser saw in a program, language-neutral: the rules in
 * `code-rules.ts` judge these, so Python and JavaScript share one rule set.
 */

/** One argument of a call. */
export interface ArgFact {
  /** The value when the argument is a literal (string, number, boolean). */
  value?: string | number | boolean | null;
  /** The argument's source text (at most 300 characters), for non-literals. */
  src?: string;
}

/** Something a program does, as a parser saw it. */
export type Fact =
  | {
      kind: 'call';
      line: number;
      /** The callee with imports resolved, e.g. `subprocess.run`, `child_process.exec`, `eval`; `?.name` for a method of an unknown object. */
      name: string;
      args: ArgFact[];
      /** Keyword arguments (Python) or properties of an options object literal (JavaScript). */
      options: Record<string, ArgFact>;
      /** Source of the call, at most 300 characters. */
      src: string;
    }
  | { kind: 'import'; line: number; module: string }
  | { kind: 'string'; line: number; value: string }
  | {
      kind: 'env';
      line: number;
      /** The variable read; absent when the whole environment is used or the name is computed. */
      key?: string;
      /** The whole environment is read, copied, enumerated or passed on. */
      whole: boolean;
      src: string;
    };

/** The facts of one file, or why it could not be parsed. */
export type FileFacts = { ok: true; facts: Fact[] } | { ok: false; error: string; line: number };
