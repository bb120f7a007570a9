export { SimulatedModel, promptToMessages, type SimStats } from './sim-model.js';
export { simulateReply, type SimMessage, type SimReplyInput } from './sim-reply.js';
export {
  parseSimQuery,
  parseLatency,
  drawLatencyMs,
  simOptionsSchema,
  simLatencySchema,
  type SimOptions,
  type SimLatency,
} from './sim-options.js';
