import { PathSafetyError } from '../../errors/index.js';

/** Outcome of a path check: a normalised relative POSIX path, or why it was refused. */
export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/** Longest file or directory name, in UTF-8 bytes (the usual file-system limit). */
export const maxSegmentBytes = 255;
/** Longest relative path, in UTF-8 bytes. Far below PATH_MAX, far above any real project. */
export const maxPathBytes = 1024;
/** Deepest directory nesting accepted. */
export const maxPathDepth = 32;

// CON, PRN, AUX, NUL, COM0-9, LPT0-9 (also with superscript digits), CONIN$, CONOUT$, CLOCK$,
// with or without an extension: Windows opens the device whatever the extension is
const deviceName = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(\..*)?$/i;
// C0 and C1 control characters
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
// characters that change how a name is displayed (bidi overrides, zero-width): a name that reads
// "main.py" in a report but is something else on disk
const formatCharacter = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
// percent-encoded dot, slash, backslash, NUL, percent (double encoding) and overlong UTF-8 lead bytes
const percentEncoded = /%(2e|2f|5c|00|25|c0|c1|e0%80)/i;
// separators that look like `/` or `\`, and full-width dots: some tools fold them into the real thing
const lookalike = /[\u2215\u2044\u29f8\u29f9\uff0f\uff3c\u2024\uff0e\ufe52]/;
// Windows short (8.3) aliases such as GIT~1 can name `.git`
const shortName = /~\d+(\.|$)/;

/**
 * Checks a file name a model proposed, before anything is written, and
 * normalises it: backslashes become `/`, `.` segments and repeated slashes
 * are dropped. Refused, with a reason:
 * - empty names, names that end with a separator (a directory), or with nothing but `.` segments;
 * - absolute paths: POSIX (`/etc/passwd`), Windows drives (`C:\x`, `C:x`), UNC (`\\server\share`);
 * - any `..` segment, even one that would stay inside after normalisation (`a/../b`):
 *   a model has no reason to write one, and refusing is simpler to reason about than resolving;
 * - percent-encoded dots or separators (`%2e%2e/x`), double encoding, overlong UTF-8;
 * - look-alike separators and dots (U+2215, U+FF0F, U+FF0E …);
 * - home references (`~/x`, `~root/x`) and 8.3 short names (`GIT~1`);
 * - NUL, C0/C1 control characters (`\x1b` escapes), bidi and zero-width characters;
 * - segments over {@link maxSegmentBytes} bytes, paths over {@link maxPathBytes} bytes or
 *   {@link maxPathDepth} levels;
 * - Windows device names (`CON`, `nul.txt`, `COM1.log`, `LPT9`), segments ending in a dot or
 *   a space, and the characters `< > : " | ? *`;
 * - anything inside a `.git` directory.
 */
export function checkRelativePath(name: string): PathCheck {
  if (typeof name !== 'string' || name.trim() === '') return { ok: false, reason: 'empty file name' };
  if (controlCharacter.test(name)) return { ok: false, reason: 'control character in file name' };
  if (formatCharacter.test(name))
    return { ok: false, reason: 'invisible or bidirectional formatting character in file name' };
  if (percentEncoded.test(name)) return { ok: false, reason: 'percent-encoded dot, separator or percent in file name' };
  if (lookalike.test(name)) return { ok: false, reason: 'look-alike slash or dot character in file name' };
  if (Buffer.byteLength(name) > maxPathBytes) return { ok: false, reason: `path longer than ${maxPathBytes} bytes` };
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('//')) return { ok: false, reason: 'absolute path (UNC or network share)' };
  if (slashed.startsWith('/')) return { ok: false, reason: 'absolute path' };
  if (/^[A-Za-z]:/.test(slashed)) return { ok: false, reason: 'absolute Windows path (drive letter)' };
  if (slashed.startsWith('~')) return { ok: false, reason: 'home directory reference (~)' };
  if (slashed.endsWith('/')) return { ok: false, reason: 'names a directory, not a file' };
  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { ok: false, reason: "parent directory ('..') in path" };
    if (segment.startsWith('~')) return { ok: false, reason: 'home directory reference (~)' };
    if (Buffer.byteLength(segment) > maxSegmentBytes)
      return { ok: false, reason: `path segment longer than ${maxSegmentBytes} bytes` };
    if (deviceName.test(segment)) return { ok: false, reason: `reserved device name '${segment}'` };
    if (/[. ]$/.test(segment)) return { ok: false, reason: `segment '${segment}' ends with a dot or space` };
    if (segment.toLowerCase() === '.git') return { ok: false, reason: 'writes into .git are not allowed' };
    if (shortName.test(segment))
      return { ok: false, reason: `segment '${segment}' looks like a Windows short name (e.g. GIT~1)` };
    if (/[<>:"|?*]/.test(segment)) return { ok: false, reason: `character not allowed in file names in '${segment}'` };
    segments.push(segment);
  }
  if (segments.length === 0) return { ok: false, reason: 'file name has no name part' };
  if (segments.length > maxPathDepth) return { ok: false, reason: `path deeper than ${maxPathDepth} levels` };
  return { ok: true, path: segments.join('/') };
}

/** Like {@link checkRelativePath}, but returns the normalised path or throws a {@link PathSafetyError}. */
export function assertRelativePath(name: string): string {
  const checked = checkRelativePath(name);
  if (!checked.ok) throw new PathSafetyError({ path: name, reason: checked.reason });
  return checked.path;
}
