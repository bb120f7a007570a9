import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Where the built web viewer is: `dist/web` beside the compiled server
 * (`dist/serve`), or the repository's `dist/web` when the server runs from
 * its sources (tests, tsx). Undefined when it has not been built.
 */
export function defaultWebRoot(): string | undefined {
  return builtRoot('web');
}

/**
 * Where the one-script build of the web viewer is (`dist/web-single`, found like {@link defaultWebRoot}): what an
 * exported HTML file inlines. Undefined when it has not been built.
 */
export function defaultSingleRoot(): string | undefined {
  return builtRoot('web-single');
}

function builtRoot(name: string): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const candidate of [resolve(here, `../${name}`), resolve(here, `../../dist/${name}`)])
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  return undefined;
}

/** A file of the web root, or undefined for anything else: no path may name a file outside the root. */
export function readWebFile(root: string, urlPath: string): { body: Buffer; type: string } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  // only plain names: no parent steps, no backslashes, no NUL, no hidden files
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const parts = decoded.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return undefined;
  const rootReal = realpathSync(root);
  const candidate = resolve(rootReal, ...parts);
  const inside = (path: string) => {
    const rel = relative(rootReal, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
  };
  if (!inside(candidate) || !existsSync(candidate)) return undefined;
  const real = realpathSync(candidate); // a link inside the root must not lead out of it
  if (!inside(real) || !statSync(real).isFile()) return undefined;
  return { body: readFileSync(real), type: types[extname(real)] ?? 'application/octet-stream' };
}
