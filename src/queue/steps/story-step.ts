import { z } from 'zod';
import { roleSchema } from '../../agents/index.js';
import { storyStages, writeStoryStage, type StoryStageText, type StoryStageWork } from '../../teams/index.js';
import { stepBaseShape } from '../step-job.js';
import type { StepKind } from './step-kind.js';

/**
 * A cross-team story's stage for one team as a queued step: the writer writes and the editor critiques until
 * approval or the rounds run out. Judging, pruning and merging stay with the coordinator.
 */
export const storyStageStepSchema = z.object({
  kind: z.literal('story-stage'),
  ...stepBaseShape,
  premise: z.string(),
  team: z.object({
    id: z.string(),
    temperature: z.number(),
    reviewRounds: z.number().int().nonnegative(),
    personaNote: z.string(),
    model: z.string().optional(),
    language: z.string().optional(),
    testRounds: z.number().int().optional(),
  }),
  stage: z.enum(storyStages),
  prompt: z.string(),
  writer: roleSchema,
  editor: roleSchema,
  editRounds: z.number().int().nonnegative().optional(),
  words: z.number().int().positive().optional(),
  /** The model strings of this team's writer and editor. */
  models: z.object({ writer: z.string().min(1), editor: z.string().min(1) }),
});
/** A story stage step's data. */
export type StoryStageStep = z.infer<typeof storyStageStepSchema>;

/** Writes one team's text for one story stage on a worker. */
export const storyStageStepKind: StepKind<StoryStageStep> = {
  kind: 'story-stage',
  schema: storyStageStepSchema,
  async run(step, { runtimeFor }): Promise<StoryStageText> {
    const runtime = await runtimeFor(step.models.writer, step.seed);
    const work = {
      premise: step.premise,
      team: step.team as StoryStageWork['team'],
      stage: step.stage,
      prompt: step.prompt,
      writer: step.writer,
      editor: step.editor,
      ...(step.editRounds !== undefined ? { editRounds: step.editRounds } : {}),
      ...(step.words !== undefined ? { words: step.words } : {}),
      ...(step.seed !== undefined ? { seed: step.seed } : {}),
    };
    return writeStoryStage(work, (role) => runtime.modelByString(step.models[role]));
  },
};
