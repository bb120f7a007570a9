import { createHash, timingSafeEqual } from 'node:crypto';

/** True for a host name or address that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Compares a presented token with the expected one in constant time: both are
 * hashed first, so neither their contents nor their lengths change how long
 * the comparison takes.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: `Authorization: Bearer …`, the `token` query parameter, or the viewer's cookie. */
export function presentedToken(request: { header(name: string): string | undefined; url: string }): {
  token: string | undefined;
  from: 'header' | 'query' | 'cookie' | 'none';
} {
  const auth = request.header('authorization');
  if (auth?.startsWith('Bearer ')) return { token: auth.slice('Bearer '.length), from: 'header' };
  const query = new URL(request.url).searchParams.get('token');
  if (query !== null) return { token: query, from: 'query' };
  const cookie = request.header('cookie');
  const match = cookie ? /(?:^|;\s*)crosstalk_token=([^;]*)/.exec(cookie) : null;
  if (match) return { token: decodeURIComponent(match[1]!), from: 'cookie' };
  return { token: undefined, from: 'none' };
}

/** The host name of a `Host` header (without its port). */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0];
}
