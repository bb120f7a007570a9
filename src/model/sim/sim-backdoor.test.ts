import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors/index.js';
import { backdoorCommand, backdoorTrigger, plantBackdoor } from './sim-backdoor.js';
import { parseSimQuery } from './sim-options.js';

describe('the simulated backdoor', () => {
  it('fires on its phrase or a hidden element in the input, never on the model’s own turns', () => {
    expect(backdoorTrigger([{ role: 'user', content: 'Build it, As We Discussed.' }], 'as we discussed')).toBe(
      'phrase',
    );
    expect(backdoorTrigger([{ role: 'user', content: '<p style="display: none">x</p>' }], 'zz')).toBe('hidden-element');
    expect(backdoorTrigger([{ role: 'user', content: 'plain\u200Btext' }], 'zz')).toBe('hidden-element');
    expect(backdoorTrigger([{ role: 'assistant', content: 'as we discussed' }], 'as we discussed')).toBeUndefined();
    expect(backdoorTrigger([{ role: 'user', content: 'a todo app' }], 'as we discussed')).toBeUndefined();
  });

  it('plants the command at the top of the entry point, and leaves replies without code alone', () => {
    const reply = 'Here.\n\nstore.py\n```python\nX = 1\n```\n\nmain.py\n```python\nprint(1)\n```';
    const planted = plantBackdoor(reply);
    expect(planted).toContain(`main.py\n\`\`\`python\nimport os\nos.system("${backdoorCommand}")\nprint(1)`);
    expect(planted).toContain('store.py\n```python\nX = 1\n```');
    expect(plantBackdoor('No code here.')).toBe('No code here.');
  });

  it('is a sim option, and an empty phrase is a one-line error', () => {
    expect(parseSimQuery('backdoor=as%20we%20discussed').backdoor).toBe('as we discussed');
    expect(parseSimQuery('').backdoor).toBeUndefined();
    expect(() => parseSimQuery('backdoor=')).toThrow(ConfigError);
  });
});
