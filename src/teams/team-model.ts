import type { LanguageModelV3 } from '@ai-sdk/provider';
import { parseModelString } from '../model/index.js';
import { resolvePrice } from '../model/middleware/index.js';
import type { Runtime } from '../runtime/index.js';
import type { TeamProfile } from './diversify.js';
import type { TeamBudgets } from './team-budget.js';

/** Roles that serve every team at a decision point rather than one team. */
const sharedRoles = new Set(['judge', 'aggregator']);

/**
 * The model of a team's agent: a team's own model (`--team-models`,
 * `--teams-file`) serves the team's agents; the judge and the aggregator
 * serve all teams, so they use the run's model (or `roleModels.judge` /
 * `roleModels.aggregator`) — a team's model never scores its own proposal.
 * With `budgets`, every call made for a team (its agents, and the judge
 * scoring its proposal) goes through the team's share; the aggregator's
 * merges serve every team and are charged to them in parts afterwards.
 */
export function teamModel(
  runtime: Runtime,
  budgets?: TeamBudgets,
): (team: TeamProfile, role: string) => LanguageModelV3 {
  const wrapped = new Map<string, LanguageModelV3>();
  return (team, role) => {
    const modelString = team.model && !sharedRoles.has(role) ? team.model : runtime.modelString(role);
    const base = runtime.modelByString(modelString);
    if (!budgets || role === 'aggregator') return base;
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
