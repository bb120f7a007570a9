/**
 * MacNet prompt templates, written for crosstalk. Memory control: no template
 * takes an upstream node's dialogue, only artifacts; an edge's own exchange
 * (at most 3 rounds) is the only history a prompt carries, with every
 * superseded solution replaced by a one-line note, so a node's prompt grows
 * with its in-degree, the artifact size and the edge's round, never with the network.
 */
export const networkPrompts = {
  initial: `Task: {{task}}

Solve the task. {{format}}`,

  critic: `Task: {{task}}

A colleague produced this solution:
<<<
{{artifact}}
>>>
{{feedback}}
Examine it. Name what is wrong or missing and say precisely how to improve it. Do not rewrite the solution yourself; give instructions.{{runOffer}} If it needs no change at all, reply with only {{approval}}.`,

  /** The critic's next look at the same edge: the actor's revision, after the exchange so far. */
  criticAgain: `The author revised the solution after your review:
<<<
{{artifact}}
>>>
{{feedback}}
Review the revision. Name what is still wrong or missing and how to fix it; do not rewrite it.{{runOffer}} If it needs no further change, reply with only {{approval}}.`,

  /** After the critic asked for a run: the sandbox's report, then the review is due. */
  runReport: `Sandbox run of the solution:
{{outcome}}

Now give your review. If it needs no change at all, reply with only {{approval}}.`,

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

  /** The actor's next round on the same edge: its latest revision again, in full, and the critic's new review. */
  refineAgain: `The critic reviewed your revision:
<<<
{{artifact}}
>>>
and instructs:
<<<
{{instructions}}
>>>

Write an improved, complete solution that follows the instructions where they are right. {{format}}`,

  /** Stands in for a solution the exchange has since revised (only the latest version is shown in full). */
  superseded: `[{{version}}, superseded by the latest version, which is shown in full further on]`,

  aggregate: `Task: {{task}}

Here are {{count}} candidate solutions.

{{candidates}}

Compare them. Write one solution that keeps the strengths of each and drops their weaknesses. {{format}}`,

  /** A merge that failed its check is asked for once more, with the problem named. */
  aggregateAgain: `That merged solution cannot be used: {{problem}}. Write the whole merged solution again, complete. {{format}}`,
} as const;

/**
 * How a critic ends an edge's exchange early: ChatDev's termination marker. Any `<INFO>` conclusion counts,
 * as critics trained on ChatDev's prompts write `<INFO> Finished`.
 */
export const approvalMarker = '<INFO> Approved';

/** How a critic asks to see the artifact run before reviewing (MacNet's compile step), at the start of its reply. */
export const runRequestMarker = '<RUN>';

/** How the answer must be written, per task type. */
export const formatInstructions = {
  code: 'Write every file as its file name on a line of its own, followed by a fenced code block with the whole file; implement everything, no placeholders.',
  text: 'Write the complete answer itself, not a description of it.',
  choice:
    'Think it through briefly, then end with a line of the form "The answer is (X)." where X is the letter of your choice.',
} as const;

/** Kind of artifact a network produces. */
export type NetworkTaskType = keyof typeof formatInstructions;
