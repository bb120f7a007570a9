/**
 * `crosstalk/test`: test doubles for users who test their own pipelines
 * offline — the simulated model, a fake OpenAI-compatible server and a
 * scripted model for middleware tests.
 */
export {
  startFakeOpenAIServer,
  bagOfWordsEmbedding,
  type FakeServer,
  type FakeServerOptions,
  type FakeServerStats,
  type FakeFault,
} from './fake-openai-server.js';
export { scriptedModel, type ScriptStep } from './scripted-model.js';
export { SimulatedModel, simulateReply, parseSimQuery, type SimOptions } from '../model/sim/index.js';
