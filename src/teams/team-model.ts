import type { LanguageModelV3 } from '@ai-sdk/provider';
import { parseModelString } from '../model/index.js';
import { resolvePrice } from '../model/middleware/index.js';
import type { Runtime } from '../runtime/index.js';
import type { TeamProfile } from './diversify.js';
import type { TeamBudgets } from './team-budget.js';

/** Roles that serve every team at a decision point rather than one team, or judge a team's work. */
const sharedRoles = new Set(['judge', 'aggregator', 'critic', 'shared-critic']);
/** Roles whose calls serve every team at once: charged to the teams in parts afterwards, not through one share. */
const unwrappedRoles = new Set(['aggregator', 'shared-critic']);

/**
 * The model of a team's agent: a team's own model (`--team-models`,
 * `--teams-file`) serves the team's agents; the judge, the aggregator and the
 * critic (self-correction and safety reviews) serve all teams, so they use the
 * run's model for the role (`roleModels.…`, or `overrides`, e.g. `--critic-model`)
 * — a team's model never scores its own work. `shared-critic` is the critic
 * reviewing a merge made for every team. With `budgets`, every call made for a
 * team (its agents, the judge scoring its proposal, the critic reviewing its
 * code) goes through the team's share; the aggregator's merges and the
 * shared critic serve every team and are charged to them in parts afterwards.
 */
export function teamModel(
  runtime: Runtime,
  budgets?: TeamBudgets,
  /** Model strings by role, over the run's (e.g. `{ critic: '--critic-model' }`). */
  overrides: Readonly<Record<string, string>> = {},
): (team: TeamProfile, role: string) => LanguageModelV3 {
  const wrapped = new Map<string, LanguageModelV3>();
  return (team, role) => {
    const modelRole = role === 'shared-critic' ? 'critic' : role;
    const modelString =
      overrides[modelRole] ?? (team.model && !sharedRoles.has(role) ? team.model : runtime.modelString(modelRole));
    const base = runtime.modelByString(modelString);
    if (!budgets || unwrappedRoles.has(role)) return base;
    const key = `${team.id}\u0000${modelString}`;
    let model = wrapped.get(key);
    if (!model) {
      model = budgets.wrap(
        team.id,
        base,
        resolvePrice(parseModelString(modelString).text, runtime.config.prices ?? {}),
      );
      wrapped.set(key, model);
    }
    return model;
  };
}
