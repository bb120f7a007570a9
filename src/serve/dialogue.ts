// Pure, with no imports: the server and the web viewer's exported pages group a node's calls the same way.

/** The fields of a call the grouping reads. */
export interface DialogueCall {
  agent: string | null;
  messages: Array<{ role: string; content: string }>;
  reply: string;
}

/** One incoming edge's dialogue at a node: the critic's reviews and the actor's refinements, in order. */
export interface EdgeDialogue<C> {
  /** The predecessor whose artifact the critic reviewed; null when it could not be told. */
  from: string | null;
  turns: C[];
}

/** A network node's calls grouped as MacNet runs them. */
export interface NodeDialogue<C> {
  /** One per incoming edge, in the order their first critic call was answered. */
  edges: Array<EdgeDialogue<C>>;
  /** The rest in order: a source node's first answer, the aggregator's merges of the refined candidates. */
  other: C[];
}

const promptOf = (call: DialogueCall) => call.messages.map((m) => m.content).join('\n');

/**
 * Groups a node's calls (in the order they were answered) by incoming edge. A critic call belongs to the edge whose
 * predecessor artifact its prompt quotes (or to the edge whose last refinement it quotes, in later rounds); an actor
 * call to the edge whose critic instructions its prompt quotes. Everything else (merges, a source's answer) stays
 * in `other`.
 * @param predecessors each predecessor's artifact by node id (the text the critic was shown).
 */
export function groupNodeDialogue<C extends DialogueCall>(
  calls: readonly C[],
  predecessors: ReadonlyMap<string, string>,
): NodeDialogue<C> {
  const edges: Array<EdgeDialogue<C> & { last: string }> = [];
  const other: C[] = [];
  const claimed = new Set<string>();
  for (const call of calls) {
    // the aggregator quotes every refined candidate: its merges belong to no single edge
    if (call.agent === 'aggregator') {
      other.push(call);
      continue;
    }
    const prompt = promptOf(call);
    const chained = edges.find((e) => e.last.length > 0 && prompt.includes(e.last));
    if (chained) {
      chained.turns.push(call);
      chained.last = call.reply;
      continue;
    }
    {
      const from = [...predecessors].find(([id, text]) => !claimed.has(id) && text.length > 0 && prompt.includes(text));
      if (from) {
        claimed.add(from[0]);
        edges.push({ from: from[0], turns: [call], last: call.reply });
        continue;
      }
    }
    other.push(call);
  }
  return { edges: edges.map(({ from, turns }) => ({ from, turns })), other };
}
