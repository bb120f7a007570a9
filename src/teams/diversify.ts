import { seededRandom } from '../common/index.js';
import type { ChainLanguage } from '../software/chain.js';

/** How one team differs from the others. */
export interface TeamProfile {
  id: string;
  /** Sampling temperature of every agent in the team. */
  temperature: number;
  /** Persona wording shared by the team's agents. */
  personaNote: string;
  /** Review rounds at most (chain length differs between teams, as in the CTC paper). */
  reviewRounds: number;
  /** Model string for the team (default: the run's model). */
  model?: string;
  /** Programming language the team must use (default: the run's, or the team's own choice). */
  language?: ChainLanguage;
  /** Test-and-fix rounds at most (default: the chain's). */
  testRounds?: number;
}

const styles = [
  'Your team values simple, robust designs.',
  'Your team is known for careful handling of edge cases.',
  'Your team thinks first about the user experience.',
  'Your team favours clean structure and clear names.',
  'Your team moves fast and keeps the scope small.',
  'Your team is thorough and leaves nothing unfinished.',
  'Your team likes to question assumptions.',
  'Your team prefers proven, conventional solutions.',
];

/**
 * K genuinely different teams from one seed: temperatures spread evenly over
 * [0.2, 1.0], a different working style each, and review loops of 1–3 rounds.
 */
export function diversifyTeams(k: number, seed: number, overrides: Partial<TeamProfile>[] = []): TeamProfile[] {
  const random = seededRandom(seed ^ 0x7ea5);
  const offset = Math.floor(random() * styles.length);
  return Array.from({ length: k }, (_, i) => {
    const temperature = k === 1 ? 0.2 : Math.round((0.2 + (0.8 * i) / (k - 1)) * 100) / 100;
    const base: TeamProfile = {
      id: `team${i + 1}`,
      temperature,
      personaNote: styles[(offset + i) % styles.length]!,
      reviewRounds: 1 + ((i + offset) % 3),
    };
    return { ...base, ...(overrides[i] ?? {}) };
  });
}
