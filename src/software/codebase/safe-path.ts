/** Outcome of a path check: a normalised relative POSIX path, or why it was refused. */
export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

const deviceNames = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
const maxSegmentBytes = 255;
const maxPathBytes = 1024;

/**
 * Checks a file name a model proposed, before anything is written. Refuses
 * absolute paths (POSIX, Windows drive, UNC), any `..` segment, `~`, NUL and
 * control characters, percent-encoded dots or separators, Windows device
 * names, segments ending in a dot or space, `.git` internals, segments over
 * 255 bytes and paths over 1 KiB. Backslashes count as separators.
 */
export function checkRelativePath(name: string): PathCheck {
  if (name.trim() === '') return { ok: false, reason: 'empty file name' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, reason: 'control character in file name' };
  if (/%(2e|2f|5c|00)/i.test(name)) return { ok: false, reason: 'percent-encoded dot or separator' };
  if (Buffer.byteLength(name) > maxPathBytes) return { ok: false, reason: `path longer than ${maxPathBytes} bytes` };
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/')) return { ok: false, reason: 'absolute path' };
  if (/^[A-Za-z]:/.test(slashed)) return { ok: false, reason: 'absolute Windows path' };
  if (slashed.startsWith('~')) return { ok: false, reason: 'home directory reference' };
  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { ok: false, reason: "parent directory ('..') in path" };
    if (Buffer.byteLength(segment) > maxSegmentBytes) return { ok: false, reason: `path segment longer than ${maxSegmentBytes} bytes` };
    if (deviceNames.test(segment)) return { ok: false, reason: `reserved device name '${segment}'` };
    if (/[. ]$/.test(segment)) return { ok: false, reason: `segment '${segment}' ends with a dot or space` };
    if (segment.toLowerCase() === '.git') return { ok: false, reason: 'writes into .git are not allowed' };
    if (/[<>:"|?*]/.test(segment)) return { ok: false, reason: `character not allowed in file names in '${segment}'` };
    segments.push(segment);
  }
  if (segments.length === 0) return { ok: false, reason: 'file name has no name part' };
  return { ok: true, path: segments.join('/') };
}
