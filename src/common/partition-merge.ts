/** One merge in a hierarchical aggregation: which items went in, which came out. */
export interface MergeNode {
  id: string;
  level: number;
  /** Ids of the items merged (leaves are the original proposals' ids). */
  inputs: string[];
}

/** Result of {@link partitionMerge}. */
export interface PartitionMergeResult<T> {
  result: T;
  /** The merges, level by level (empty when a single item came in). */
  tree: MergeNode[];
  /** Id of the final item (a leaf id when nothing needed merging). */
  rootId: string;
}

/**
 * Hierarchical partitioning aggregation: split the items into groups of at
 * most `groupSize`, merge each group (concurrently) into one, repeat on the
 * merged items until one remains. A group of one passes up unchanged. Small
 * groups keep every merge within what one prompt (and one model) handles well.
 */
export async function partitionMerge<T>(
  items: ReadonlyArray<{ id: string; value: T }>,
  groupSize: number,
  merge: (group: ReadonlyArray<{ id: string; value: T }>, mergeId: string) => Promise<T>,
): Promise<PartitionMergeResult<T>> {
  if (items.length === 0) throw new Error('partitionMerge needs at least one item');
  const size = Math.max(2, Math.floor(groupSize));
  const tree: MergeNode[] = [];
  let level = [...items];
  let depth = 0;
  while (level.length > 1) {
    depth++;
    const groups: Array<Array<{ id: string; value: T }>> = [];
    for (let i = 0; i < level.length; i += size) groups.push(level.slice(i, i + size));
    level = await Promise.all(
      groups.map(async (group, g) => {
        if (group.length === 1) return group[0]!;
        const id = `merge-${depth}.${g + 1}`;
        tree.push({ id, level: depth, inputs: group.map((x) => x.id) });
        return { id, value: await merge(group, id) };
      }),
    );
  }
  return { result: level[0]!.value, tree, rootId: level[0]!.id };
}
