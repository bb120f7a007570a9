// Pure, with no imports: the web viewer draws a cross-team decision's merge tree from its event's groups.

/** One merge of a decision: its id (`merge-LEVEL.N`, as the aggregation names it) and what went in. */
export interface MergeTreeNode {
  id: string;
  inputs: Array<MergeTreeNode | string>;
}

const levelOf = (id: string): number => {
  const m = /^merge-(\d+)\./.exec(id);
  return m ? Number(m[1]) : 0;
};

/**
 * The merge tree of a `decision` event's `groups` (each merge's inputs, level by level), or undefined when nothing
 * was merged. The aggregation merges consecutive groups and only a last lone item passes up unmerged, so the merges
 * of a level are `merge-L.1`, `merge-L.2`, … in order, and a group's level is one above its highest merge input.
 */
export function mergeTree(groups: readonly (readonly string[])[]): MergeTreeNode | undefined {
  const byId = new Map<string, MergeTreeNode>();
  const counts = new Map<number, number>();
  let last: MergeTreeNode | undefined;
  for (const group of groups) {
    const level = 1 + Math.max(0, ...group.map(levelOf));
    const n = (counts.get(level) ?? 0) + 1;
    counts.set(level, n);
    const node: MergeTreeNode = { id: `merge-${level}.${n}`, inputs: group.map((id) => byId.get(id) ?? id) };
    byId.set(node.id, node);
    last = node;
  }
  return last;
}
