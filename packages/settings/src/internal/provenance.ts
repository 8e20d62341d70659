import type { SettingsSource } from "../errors";

/**
 * A tree mirroring a settings value that records where each node was written.
 * Kept beside the value (not inside it) so merging layers can swap whole
 * subtrees: an array or scalar replaced by a later file takes its positions
 * with it, and nothing stale from the earlier layer survives.
 */
export interface Prov {
  /** Where the value at this node was written. */
  src?: SettingsSource;
  /** Where the key leading to this node was written (for unknown-key errors). */
  keySrc?: SettingsSource;
  kids?: Map<string, Prov>;
}

/** The source of the deepest node on `path` that has one. */
export function lookup(
  prov: Prov | undefined,
  path: readonly (string | number)[],
  preferKey = false,
): SettingsSource | undefined {
  let best = prov?.src;
  let node = prov;
  for (let i = 0; i < path.length && node; i++) {
    node = node.kids?.get(String(path[i]));
    if (!node) break;
    const last = i === path.length - 1;
    const here = last && preferKey ? (node.keySrc ?? node.src) : (node.src ?? node.keySrc);
    if (here) best = here;
  }
  return best;
}

/** A provenance tree that attributes one value (and everything inside it) to `src`. */
export function single(src: SettingsSource): Prov {
  return { src, keySrc: src };
}

/** Builds a chain of nodes so that `path` leads to `leaf`. */
export function wrap(path: readonly string[], leaf: Prov): Prov {
  let node = leaf;
  for (let i = path.length - 1; i >= 0; i--) {
    node = { kids: new Map([[path[i]!, node]]) };
  }
  return node;
}
