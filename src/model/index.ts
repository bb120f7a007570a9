export { parseModelString, modelStringForms, type ModelSpec } from './model-spec.js';
export { createProviderModel, defaultOllamaBaseURL } from './create-model.js';
export { resolveModelString, probeOllama, noModelMessage, type ResolvedModelString } from './resolve-model.js';
export { complete, toPrompt, type ChatMessage, type CompleteOptions, type Completion } from './complete.js';
export { SimulatedModel, simulateReply, parseSimQuery, type SimOptions, type SimStats } from './sim/index.js';
export { createEmbeddingModel } from './create-embedding-model.js';
