import { seededRandom } from '../common/index.js';

const traits = [
  'You favour the simplest design that fully works.',
  'You are meticulous about edge cases and error handling.',
  'You think first about the people who will use the result.',
  'You like clear structure and good names.',
  'You are sceptical and check every claim.',
  'You look for what is missing rather than what is there.',
  'You care about performance and efficiency.',
  'You value readability over cleverness.',
  'You reason step by step and state your assumptions.',
  'You aim for completeness: nothing left unfinished.',
  'You prefer concrete examples to abstract statements.',
  'You keep things short and to the point.',
];

/** A deterministic persona note for a node: different nodes get different perspectives (MacNet gives each node its own profile). */
export function personaFor(nodeIndex: number, seed: number): string {
  const random = seededRandom((seed ^ Math.imul(nodeIndex + 1, 0x9e3779b1)) >>> 0);
  const a = traits[Math.floor(random() * traits.length)]!;
  let b = traits[Math.floor(random() * traits.length)]!;
  if (b === a) b = traits[(traits.indexOf(a) + 1) % traits.length]!;
  return `${a} ${b}`;
}

/** Temperature falls linearly with depth, from 1.0 at the sources to 0.0 at the deepest layer (as in the MacNet paper). */
export function temperatureForDepth(depth: number, maxDepth: number): number {
  if (maxDepth <= 0) return 1;
  return Math.round((1 - depth / maxDepth) * 100) / 100;
}
