import type { Agent } from '../../agents/index.js';
import { runNodeWork, type ArtifactRunner } from '../../network/index.js';
import type { Runtime } from '../../runtime/index.js';
import { runCodeAnswer } from '../../software/code-answer.js';
import { nodeStepSchema, type AgentSpec, type NodeOutput, type NodeStep } from '../step-job.js';
import type { StepKind } from './step-kind.js';

/** An agent of a step, with its model built by the worker. */
export function agentFrom(spec: AgentSpec, runtime: Runtime): Agent {
  return {
    name: spec.name,
    role: spec.role,
    model: runtime.modelByString(spec.model),
    ...(spec.temperature !== undefined ? { temperature: spec.temperature } : {}),
    ...(spec.maxOutputTokens !== undefined ? { maxOutputTokens: spec.maxOutputTokens } : {}),
    ...(spec.personaNote !== undefined ? { personaNote: spec.personaNote } : {}),
  };
}

/** A MacNet node's work (`kind: 'node'`): the node's critic ↔ actor exchanges and merge, on the worker. */
export const nodeStepKind: StepKind<NodeStep> = {
  kind: 'node',
  schema: nodeStepSchema,
  async run(step, { runtimeFor }): Promise<NodeOutput> {
    const runtime = await runtimeFor(step.agents.actor.model, step.seed);
    const agent = (spec: AgentSpec) => agentFrom(spec, runtime);
    const sandbox = step.codeRuns ? runtime.sandbox : undefined;
    const runArtifact: ArtifactRunner | undefined = sandbox?.run
      ? async (text, signal) => {
          const { test } = await runCodeAnswer(text, sandbox, signal);
          const ok = test.outcome === 'exited-ok' || test.outcome === 'timeout-running';
          const exit = test.exitCode !== null ? `, exit code ${test.exitCode}` : '';
          const output = test.output.trim().slice(-1500);
          return { ok, report: `${test.outcome} (${test.rule})${exit}${output ? `\n${output}` : ''}` };
        }
      : undefined;
    const work = await runNodeWork({
      nodeId: step.nodeId,
      task: step.task,
      taskType: step.taskType,
      agents: {
        actor: agent(step.agents.actor),
        critics: new Map(step.agents.critics.map(([from, spec]) => [from, agent(spec)])),
        defaultCritic: agent(step.agents.defaultCritic),
        aggregator: agent(step.agents.aggregator),
      },
      inputs: step.inputs,
      ...(step.edgeRounds !== undefined ? { edgeRounds: step.edgeRounds } : {}),
      ...(step.aggregationGroupSize !== undefined ? { aggregationGroupSize: step.aggregationGroupSize } : {}),
      ...(step.pruneInputs ? { pruneInputs: step.pruneInputs } : {}),
      ...(step.edgeRuns ? { edgeRuns: step.edgeRuns } : {}),
      ...(runArtifact ? { runArtifact } : {}),
      ...(step.seed !== undefined ? { seed: step.seed } : {}),
      ...(step.maxPromptChars !== undefined ? { maxPromptChars: step.maxPromptChars } : {}),
    });
    return {
      text: work.text,
      calls: work.calls,
      maxPromptChars: work.maxPromptChars,
      edges: work.edges,
      ...(work.merge ? { merge: work.merge } : {}),
    };
  },
};
