import { z } from 'zod';
import { roleSchema } from '../agents/roles.js';
import { phaseNames } from '../software/phases.js';
import { supportedLanguages } from '../software/chain.js';
import { decisionPointNames, defaultPruneAbove } from '../teams/index.js';

/**
 * Config flags a job was started with (`model`, `seed`, `concurrency`,
 * `budgetUsd`, …, as strings like the command line gives them): resume
 * loads the configuration again from them.
 */
export const flagsSchema = z.record(z.string(), z.string());

/** A phase of the chain with every setting filled in. */
export const resolvedPhaseSchema = z.object({
  name: z.enum(phaseNames),
  instructor: z.string().min(1),
  assistant: z.string().min(1),
  maxTurns: z.number().int().positive(),
  rounds: z.number().int().min(0),
});

/** Roles by name. */
export const roleBookSchema = z.record(z.string(), roleSchema);

/** A language the sandbox runs. */
export const languageSchema = z.enum(supportedLanguages);

/** How many proposals survive pruning: a share (0–1] or a count. */
export const keepRuleSchema = z.union([
  z.object({ ratio: z.number().gt(0).max(1) }),
  z.object({ count: z.number().int().positive() }),
]);

/** One team's own settings; the rest comes from the seeded defaults. */
export const teamSpecSchema = z.object({
  id: z.string().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  personaNote: z.string().optional(),
  reviewRounds: z.number().int().min(0).optional(),
  model: z.string().min(1).optional(),
  language: languageSchema.optional(),
  testRounds: z.number().int().min(0).optional(),
});

/** Cross-team settings of a software job. */
export const teamOptionsSchema = z.object({
  /** Number of teams, K. */
  teams: z.number().int().positive(),
  keep: keepRuleSchema,
  /** Prune only when more than this many proposals reach a decision point (the reference code: 4). */
  pruneAbove: z.number().int().min(0).default(defaultPruneAbove),
  /** Proposals merged per aggregation call. */
  groupSize: z.number().int().min(2),
  decisionPoints: z.array(z.enum(decisionPointNames)),
  scorer: z.enum(['metrics', 'judge', 'both']),
  /** One model string per team ('' = the run model); superseded by `profiles`. */
  teamModels: z.array(z.string()).default([]),
  /** Per-team settings. */
  profiles: z.array(teamSpecSchema).optional(),
});

/** Cross-team settings of a software job. */
export type TeamOptions = z.infer<typeof teamOptionsSchema>;
