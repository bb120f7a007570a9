import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { Runtime } from '../runtime/index.js';
import type { TeamProfile } from './diversify.js';

/** Roles that serve every team at a decision point rather than one team. */
const sharedRoles = new Set(['judge', 'aggregator']);

/**
 * The model of a team's agent: a team's own model (`--team-models`,
 * `--teams-file`) serves the team's agents; the judge and the aggregator
 * serve all teams, so they use the run's model (or `roleModels.judge` /
 * `roleModels.aggregator`) — a team's model never scores its own proposal.
 */
export function teamModel(runtime: Runtime): (team: TeamProfile, role: string) => LanguageModelV3 {
  return (team, role) =>
    team.model && !sharedRoles.has(role) ? runtime.modelByString(team.model) : runtime.model(role);
}
