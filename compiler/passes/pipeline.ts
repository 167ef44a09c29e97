// The pass manager (STYLE 6): the pipeline is an array of named pure passes built from the
// options; the manager runs them in order, times each, verifies the graph after each when
// asked, and can stop after any pass so `sluice inspect --after NAME` shows the IR there.

import type { Graph } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import { foldConstants } from './fold-constants.js';
import { fuseAttention } from './fuse-attention.js';
import { simplify } from './simplify.js';

export interface Pass {
  readonly name: string;
  readonly run: (graph: Graph) => Graph;
}

export interface PipelineOptions {
  /** Verify the graph after every pass (tests and `--verify`); failures are compiler bugs. */
  readonly verify?: boolean;
  /** Stop after this pass (its name must be in the pipeline). */
  readonly stopAfter?: string;
}

export interface PassTiming {
  readonly name: string;
  readonly ms: number;
}

/** The Graph IR passes, in order. Later issues insert theirs here, with the reason for the place. */
export function graphPasses(): Pass[] {
  return [
    // Constants first: every rewrite after this sees literal operands as constants.
    { name: 'fold-constants', run: foldConstants },
    // Identities after folding, since folding exposes `x * 1` and friends.
    { name: 'simplify', run: simplify },
    // Attention after simplify (composed transposes and reshapes expose Kᵀ and repeated K/V
    // heads) and before kernel grouping, which would otherwise split it into matmul/softmax.
    { name: 'fuse-attention', run: fuseAttention },
  ];
}

/**
 * Stages after the Graph IR passes that `sluice inspect --after` can show; they do not change
 * the graph (group-kernels partitions it into kernels: compiler/passes/group-kernels.ts).
 */
export const INSPECT_STAGES: readonly string[] = ['group-kernels'];

export function passNames(): string[] {
  return ['parse', ...graphPasses().map((p) => p.name), ...INSPECT_STAGES];
}

/** The last pass that changes the graph: what `inspect` prints by default. */
export function lastGraphPass(): string {
  const names = ['parse', ...graphPasses().map((p) => p.name)];
  return names[names.length - 1]!;
}

export function runPasses(graph: Graph, passes: readonly Pass[], options: PipelineOptions = {}): { graph: Graph; timings: PassTiming[] } {
  // An inspect stage sees the graph after every pass.
  if (options.stopAfter !== undefined && INSPECT_STAGES.includes(options.stopAfter)) options = { ...options, stopAfter: undefined };
  if (options.stopAfter !== undefined && options.stopAfter !== 'parse' && !passes.some((p) => p.name === options.stopAfter)) {
    throw new Error(`no pass named '${options.stopAfter}'`);
  }
  const timings: PassTiming[] = [];
  let current = graph;
  if (options.stopAfter === 'parse') return { graph: current, timings };
  for (const pass of passes) {
    const start = performance.now();
    current = pass.run(current);
    timings.push({ name: pass.name, ms: performance.now() - start });
    if (options.verify) {
      const problems = verifyGraph(current);
      if (problems.length) throw new Error(`after pass ${pass.name}, the graph is invalid:\n${problems.join('\n')}`);
    }
    if (pass.name === options.stopAfter) break;
  }
  return { graph: current, timings };
}
