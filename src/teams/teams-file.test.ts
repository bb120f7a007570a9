import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/index.js';
import { diversifyTeams } from './diversify.js';
import { parseTeamsFile } from './teams-file.js';

describe('parseTeamsFile', () => {
  it('reads a list of teams (YAML or JSON, bare or under teams:) and leaves the rest to the seeded defaults', () => {
    const yaml = `teams:
  - id: careful
    temperature: 0.1
    persona: Your team checks every input twice.
    language: python
    reviewRounds: 2
    testRounds: 1
  - model: sim?seed=9
    language: JavaScript
`;
    const specs = parseTeamsFile(yaml, 'teams.yaml');
    expect(specs).toEqual([
      {
        id: 'careful',
        temperature: 0.1,
        personaNote: 'Your team checks every input twice.',
        language: 'Python',
        reviewRounds: 2,
        testRounds: 1,
      },
      { model: 'sim?seed=9', language: 'JavaScript' },
    ]);
    expect(parseTeamsFile(JSON.stringify([{ temperature: 0.5 }]), 't.json')).toEqual([{ temperature: 0.5 }]);
    const teams = diversifyTeams(3, 0, specs);
    expect(teams[0]).toMatchObject({ id: 'careful', temperature: 0.1, language: 'Python' });
    expect(teams[1]).toMatchObject({ id: 'team2', model: 'sim?seed=9', language: 'JavaScript' });
    expect(teams[2]!.id).toBe('team3');
    expect(teams[1]!.personaNote).not.toBe(teams[2]!.personaNote);
  });

  it.each([
    ['- temprature: 0.3\n', /t\.yaml: unknown key 'teams\.0\.temprature'/],
    ['- language: Rust\n', /t\.yaml: .*must be one of Python, JavaScript \(got "Rust"\)/],
    ['- temperature: 3\n', /t\.yaml: 'teams\.0\.temperature' must be at most 2/],
    ['- id: a\n- id: a\n', /t\.yaml: team 2: duplicate id 'a'/],
    ['- model: gpt5\n', /t\.yaml: team 1: .*gpt5/],
    ['- id: ../../etc\n', /t\.yaml: 'teams\.0\.id' must be 1–40 letters, digits, - or _ \(got "\.\.\/\.\.\/etc"\)/],
    ['teams: []\n', /t\.yaml: 'teams' must list at least 1 \(got a list\)/],
    ['teams: 3\n', /t\.yaml: 'teams' must be a list \(got 3\)/],
    ['teams: [\n', /t\.yaml: not valid YAML or JSON/],
    ['- language: Rust\n', /^t\.yaml: 'teams\.0\.language' must be one of Python, JavaScript \(got "Rust"\)$/],
    ['', /^t\.yaml: the file is empty \(expected a list of teams, or teams: \[\.\.\.\]\)$/],
    ['# nothing here\n', /^t\.yaml: the file is empty/],
    ['team: [{ id: a }]\n', /^t\.yaml: expected a list of teams, or teams: \[\.\.\.\] \(found only 'team'\)$/],
    ['just text\n', /^t\.yaml: expected a list of teams, or teams: \[\.\.\.\] \(got "just text"\)$/],
  ])('rejects %j in one line', (text, message) => {
    const attempt = () => parseTeamsFile(text, 't.yaml');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message.split('\n')).toHaveLength(1);
    }
  });
});
