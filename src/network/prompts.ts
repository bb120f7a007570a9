/**
 * MacNet prompt templates, written for crosstalk. Memory control: every
 * template takes artifacts, never dialogue history, so a node's prompt grows
 * with its in-degree and the artifact size, not with the network.
 */
export const networkPrompts = {
  initial: `Task: {{task}}

Solve the task. {{format}}`,

  critic: `Task: {{task}}

A colleague produced this solution:
<<<
{{artifact}}
>>>

Examine it. Name what is wrong or missing and say precisely how to improve it. Do not rewrite the solution yourself; give instructions.`,

  refine: `Task: {{task}}

A colleague produced this solution:
<<<
{{artifact}}
>>>

A critic reviewed it and instructs:
<<<
{{instructions}}
>>>

Write an improved, complete solution that follows the instructions where they are right. {{format}}`,

  aggregate: `Task: {{task}}

Here are {{count}} candidate solutions.

{{candidates}}

Compare them. Write one solution that keeps the strengths of each and drops their weaknesses. {{format}}`,
} as const;

/** How the answer must be written, per task type. */
export const formatInstructions = {
  code: 'Write every file as its file name on a line of its own, followed by a fenced code block with the whole file; implement everything, no placeholders.',
  text: 'Write the complete answer itself, not a description of it.',
  choice:
    'Think it through briefly, then end with a line of the form "The answer is (X)." where X is the letter of your choice.',
} as const;

/** Kind of artifact a network produces. */
export type NetworkTaskType = keyof typeof formatInstructions;
