import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, GraphSpecError } from '../errors/index.js';
import {
  generateTopology,
  isTopologyName,
  readGraphFile,
  topologyNames,
  validateGraph,
  type TopologyParams,
  type ValidatedGraph,
} from '../graph/index.js';

/** Adds the options that pick and shape a topology. */
export function addTopologyOptions(command: Command, countFlag: '--n' | '--agents'): Command {
  return command
    .option(`${countFlag} <count>`, 'number of nodes (agents on nodes; critics on edges add one agent per edge)')
    .option('--orientation <o>', 'divergent (default) or convergent (every edge reversed)')
    .option('--branching <b>', 'tree: children per node (default 2)')
    .option('--width <w>', 'layer: nodes per layer (default gives ⌊log2 n⌋ layers)')
    .option(
      '--density <d>',
      'random: paper (default: a mesh with a uniformly drawn number of its edges removed) or sparse (edge probability --p)',
    )
    .option('--p <p>', 'random, sparse density: edge probability (default about two successors per node)')
    .option('--k <k>', 'small-world: ring neighbours (default 4)')
    .option('--beta <b>', 'small-world: rewiring probability (default 0.1)')
    .option('--m <m>', 'scale-free: edges per new node (default 2)')
    .option('--max-nodes <n>', 'refuse graphs with more nodes than this (default 100000)')
    .option('--max-edges <n>', 'refuse graphs with more edges than this (default 4000000)');
}

function numberOption(
  options: Record<string, unknown>,
  key: string,
  flag: string,
  integer: boolean,
): number | undefined {
  const raw = options[key];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (String(raw).trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ConfigError({
      key: flag,
      message: `${flag} must be ${integer ? 'a whole number' : 'a number'} (got ${JSON.stringify(raw)})`,
    });
  }
  return value;
}

/**
 * Resolves a `<topology|file>` argument into a validated graph: a built-in
 * topology generated with the seed and options, or a JSON/YAML/DOT file.
 * @throws GraphSpecError / ConfigError with one-line messages.
 */
export function resolveGraph(
  arg: string,
  options: Record<string, unknown>,
  cwd: string,
  countKey: 'n' | 'agents',
  seed: number,
): ValidatedGraph {
  const maxNodes = numberOption(options, 'maxNodes', '--max-nodes', true);
  const maxEdges = numberOption(options, 'maxEdges', '--max-edges', true);
  const limit = { ...(maxNodes !== undefined ? { maxNodes } : {}), ...(maxEdges !== undefined ? { maxEdges } : {}) };
  if (isTopologyName(arg)) {
    const n = numberOption(options, countKey, countKey === 'n' ? '--n' : '--agents', true);
    if (n === undefined)
      throw new ConfigError({
        key: countKey,
        message: `topology '${arg}' needs a node count: pass ${countKey === 'n' ? '--n' : '--agents'} N`,
      });
    if (n < 1)
      throw new ConfigError({
        key: countKey,
        message: `${countKey === 'n' ? '--n' : '--agents'} must be at least 1 (got ${n})`,
      });
    if (n > (maxNodes ?? 100_000))
      throw new GraphSpecError({
        message: `${n} nodes is above the maximum of ${maxNodes ?? 100_000} (raise it with --max-nodes)`,
      });
    const orientation = options.orientation;
    if (orientation !== undefined && orientation !== 'divergent' && orientation !== 'convergent') {
      throw new ConfigError({
        key: '--orientation',
        message: `--orientation must be divergent or convergent (got ${JSON.stringify(orientation)})`,
      });
    }
    const params: TopologyParams = { n, seed };
    if (orientation) params.orientation = orientation;
    const density = options.density;
    if (density !== undefined && density !== 'paper' && density !== 'sparse') {
      throw new ConfigError({
        key: '--density',
        message: `--density must be paper or sparse (got ${JSON.stringify(density)})`,
      });
    }
    if (density) params.density = density;
    const set = (key: 'branching' | 'width' | 'p' | 'k' | 'beta' | 'm', integer: boolean) => {
      const v = numberOption(options, key, `--${key}`, integer);
      if (v !== undefined) params[key] = v;
    };
    set('branching', true);
    set('width', true);
    set('p', false);
    set('k', true);
    set('beta', false);
    set('m', true);
    return validateGraph(generateTopology(arg, params, maxEdges !== undefined ? { maxEdges } : {}), limit);
  }
  const path = resolve(cwd, arg);
  if (!existsSync(path)) {
    throw new GraphSpecError({
      message: `'${arg}' is neither a topology (${topologyNames.join(', ')}) nor an existing graph file (.json, .yaml, .dot)`,
    });
  }
  return validateGraph(readGraphFile(path), limit);
}
