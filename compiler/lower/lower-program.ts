// Graph IR → Program: the kernel groups (compiler/passes/group-kernels.ts) each become one
// kernel and one dispatch; materialised nodes become values (inputs, weights, temporaries,
// outputs). An op with no lowering yet is reported (SL4001) rather than guessed at.

import { shapeConstraints } from './constraints.js';
import { ErrorSites } from './error-sites.js';
import { constDim } from '../ir/dim.js';
import { DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Kernel } from '../kernel/ir.js';
import type { Dispatch, Program, ProgramValue, TargetDescription, ValueRole } from '../kernel/program.js';
import { planGroups, type KernelGroup } from '../passes/group-kernels.js';
import { lowerAttention } from './attention.js';
import { lowerKvAttention, type AddKvValue } from './kv-attention.js';
import { lowerElementwise } from './elementwise.js';
import { LoweringError, loweringDiagnostic } from './errors.js';
import { attentionSpec, convSpec, matmulSpec, type NewTemp } from './contraction-specs.js';
import { lowerConv } from './conv.js';
import type { GroupLowering, ValueRef } from './group-context.js';
import { lowerGeneric } from './generic.js';
import { lowerMatmul } from './matmul.js';
import { lowerNorm } from './norm.js';
import { lowerReduction } from './reduction.js';
import type { LoweredKernel } from './specs.js';
import { adaptToGpu } from './gpu/adapter.js';
import { isGpuTarget } from './gpu/grid.js';
import { lowerElementwiseGpu } from './gpu/elementwise.js';
import { lowerNormGpu } from './gpu/norm.js';
import { lowerReductionGpu } from './gpu/reduction.js';

const NORM_OPS = new Set(['softmax', 'log_softmax', 'layer_norm', 'rms_norm']);

export function lowerProgram(graph: Graph, target: TargetDescription): Program {
  const { groups, materialised } = planGroups(graph);
  const values: ProgramValue[] = [];
  const valueOfNode = new Map<Node, ProgramValue>();
  const addValue = (role: ValueRole, name: string, node: Pick<Node, 'dtype' | 'shape'>, extra: Partial<ProgramValue> = {}): ProgramValue => {
    const v: ProgramValue = { id: `v${values.length}`, role, name, dtype: node.dtype, shape: node.shape, ...extra };
    values.push(v);
    return v;
  };
  const newTemp: NewTemp = (name, type) => {
    const v = addValue('temp', name, type);
    return { value: v.id, dtype: v.dtype };
  };

  // Values, in graph order: inputs first (declaration order), then everything materialised.
  for (const i of graph.inputs) valueOfNode.set(i, addValue('input', i.attrs.name, i));
  const outputsOf = new Map<Node, string[]>();
  for (const o of graph.outputs) outputsOf.set(o.node, [...(outputsOf.get(o.node) ?? []), o.name]);
  const copies: { from: Node; value: ProgramValue }[] = [];
  const outputIds: string[] = [];
  const order = [...materialised].sort((a, b) => a.id - b.id);
  for (const n of order) {
    if (valueOfNode.has(n)) continue;
    if (n.op === 'param') valueOfNode.set(n, addValue('weight', n.attrs.name, n));
    else if (n.op === 'constant') valueOfNode.set(n, addValue('weight', `const_${n.id}`, n, { constant: n.attrs.value }));
    else if (n.op !== 'input') {
      const names = outputsOf.get(n);
      valueOfNode.set(n, names ? addValue('output', names[0]!, n) : addValue('temp', `t${n.id}`, n));
    }
  }
  // Outputs that are graph values, or a second name for one node, are copies.
  const claimed = new Set<Node>();
  for (const o of graph.outputs) {
    const n = o.node;
    const own = valueOfNode.get(n);
    if (own && own.role === 'output' && !claimed.has(n)) {
      claimed.add(n);
      outputIds.push(own.id);
      continue;
    }
    const v = addValue('output', o.name, n);
    copies.push({ from: n, value: v });
    outputIds.push(v.id);
  }

  const ref = (n: Node): ValueRef => {
    const v = valueOfNode.get(n);
    if (!v) throw new Error(`lowering: node %${n.id} (${n.op}) has no value`);
    return { value: v.id, dtype: v.dtype };
  };
  const errors = new ErrorSites(graph.spans, () => addValue('status', 'status', { dtype: 'i32', shape: [] }).id);
  const kernels: Kernel[] = [];
  const dispatches: Dispatch[] = [];
  const diagnostics: Diagnostic[] = [];
  const add = (lowered: LoweredKernel): void => {
    // GPU targets: a lowering without a GPU schedule of its own goes through the generic adapter.
    const lk = isGpuTarget(target) ? adaptToGpu(lowered) : lowered;
    kernels.push(lk.kernel);
    // A data check inside a contraction's epilogue declares the status buffer the spec did not list.
    const status = errors.status;
    const buffers = status !== undefined && lk.kernel.buffers.some((b) => b.name === status) && !(status in lk.buffers)
      ? { ...lk.buffers, [status]: status } : lk.buffers;
    dispatches.push({ kernel: lk.kernel.name, buffers, uniforms: lk.uniforms, grid: lk.grid });
  };
  const usedNames = new Set<string>();
  const uniqueName = (base: string): string => {
    let name = base;
    for (let i = 1; usedNames.has(name); i++) name = `${base}_${i}`;
    usedNames.add(name);
    return name;
  };
  const isMat = (n: Node): boolean => materialised.has(n);
  // kv_attention's state and split-K temporaries; state names are the manifest's, so unique.
  const stateNames = new Set<string>();
  const addKvValue: AddKvValue = (role, base, type) => {
    let name = base;
    if (role === 'state') {
      for (let i = 1; stateNames.has(name); i++) name = `${base}_${i}`;
      stateNames.add(name);
    }
    const v = addValue(role, name, type);
    return { value: v.id, dtype: v.dtype };
  };

  for (const group of groups) {
    const g: GroupLowering = { group, name: uniqueName(group.name), target, valueOf: ref, out: ref(group.root), errors };
    try {
      const anchor = group.anchor;
      if (anchor?.op === 'kv_attention') lowerKvAttention(g, anchor, addKvValue).forEach(add);
      else lowerGroup(g, isMat, newTemp).forEach(add);
    } catch (e) {
      if (!(e instanceof LoweringError)) throw e;
      diagnostics.push(loweringDiagnostic(e, target.name, graph.spans.get(group.anchor ?? group.root)));
    }
  }
  for (const c of copies) {
    const group: KernelGroup = { kind: 'elementwise', nodes: [], root: c.from, inputs: [c.from], name: 'copy' };
    const g: GroupLowering = { group, name: uniqueName(`copy_${c.value.name.replace(/[^A-Za-z0-9_]/g, '_')}`), target, valueOf: ref, out: { value: c.value.id, dtype: c.value.dtype } };
    add(isGpuTarget(target) ? lowerElementwiseGpu(g) : lowerElementwise(g));
  }
  if (diagnostics.length) throw new DiagnosticError(diagnostics);
  const status = errors.status;
  if (status !== undefined) {
    const at = values.findIndex((v) => v.id === status);
    values[at] = { ...values[at]!, shape: [constDim(errors.words)] };
  }
  return {
    name: graph.name,
    dims: graph.dims,
    values,
    kernels,
    dispatches,
    inputs: graph.inputs.map((i) => valueOfNode.get(i)!.id),
    outputs: outputIds,
    constraints: shapeConstraints(graph),
    ...(status !== undefined ? { errors: { status, sites: errors.sites } } : {}),
  };
}

/** A group's kernels, in dispatch order (attention may need a scaling pass first). */
function lowerGroup(g: GroupLowering, isMat: (n: Node) => boolean, newTemp: NewTemp): LoweredKernel[] {
  const anchor = g.group.anchor;
  switch (g.group.kind) {
    case 'elementwise':
      return [isGpuTarget(g.target) ? lowerElementwiseGpu(g) : lowerElementwise(g)];
    case 'reduction':
      if (isGpuTarget(g.target)) return [NORM_OPS.has(anchor!.op) ? lowerNormGpu(g) : lowerReductionGpu(g)];
      return [NORM_OPS.has(anchor!.op) ? lowerNorm(g) : lowerReduction(g)];
    case 'matmul':
      return [lowerMatmul(matmulSpec(g, isMat), g.target)];
    case 'attention': {
      const { spec, before } = attentionSpec(g, isMat, newTemp);
      try {
        return [...before, lowerAttention(spec, g.target)];
      } catch (e) {
        // Limits of the attention schedule (say, a symbolic head dim) are refusals, not bugs.
        if (e instanceof Error && e.message.startsWith('lowerAttention:')) throw new LoweringError('attention', ` (${e.message.slice(16).trim()})`);
        throw e;
      }
    }
    case 'conv':
      return [lowerConv(convSpec(g, isMat), g.target)];
    case 'generic':
      return [lowerGeneric(g)];
  }
}

