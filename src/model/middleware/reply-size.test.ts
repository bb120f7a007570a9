import { wrapLanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import { ModelOutputError } from '../../errors/index.js';
import { scriptedModel } from '../../testing/scripted-model.js';
import { complete } from '../complete.js';
import { replySizeMiddleware } from './reply-size.js';

describe('replySizeMiddleware', () => {
  it('passes a reply within the cap and refuses a longer one with OUTPUT_TOO_LARGE', async () => {
    const { model } = scriptedModel(['short', 'x'.repeat(50 * 1024 * 1024)]);
    const capped = wrapLanguageModel({ model, middleware: [replySizeMiddleware({ maxReplyChars: 1000 })] });
    expect((await complete(capped, { messages: [{ role: 'user', content: 'hi' }] })).text).toBe('short');
    const error = await complete(capped, { messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(ModelOutputError.isTooLarge(error)).toBe(true);
    expect(error).toMatchObject({ code: 'OUTPUT_TOO_LARGE', limit: 'maxReplyChars', exitCode: 1 });
    expect((error as Error).message).toBe(
      'the model reply has 52,428,800 characters, over limits.maxReplyChars (1,000); raise it in crosstalk.config.yaml to allow more',
    );
  });
});
