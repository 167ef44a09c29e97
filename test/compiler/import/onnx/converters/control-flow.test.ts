// If with a condition known at import (the branch is inlined) and Loop with a known trip count
// and condition (unrolled; scan outputs stacked on a new axis 0). Bodies read outer-scope
// values, also ones produced by nodes listed after the If/Loop; data-dependent control flow and
// runaway loops are refused with a diagnostic at the node.

import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../../../compiler/import/onnx/index.js';
import { onnx, type GraphProto } from '../../../../../compiler/import/onnx/proto.js';
import { MAX_UNROLLED_ITERATIONS } from '../../../../../compiler/import/onnx/converters/control-flow.js';
import { interpret } from '../../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { modelProto, type NodeSpec, type ValueSpec } from '../../../../helpers/onnx-model.js';

const BOOL = 9, INT64 = 7, FLOAT = 1;

interface GraphNode extends NodeSpec {
  readonly graphs?: Readonly<Record<string, GraphProto>>;
}

interface Spec {
  readonly nodes: readonly GraphNode[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: Readonly<Record<string, Tensor>>;
}

function graph(spec: Spec): GraphProto {
  const proto = modelProto({ ...spec, nodes: spec.nodes.map(({ graphs: _graphs, ...n }) => n) }).graph!;
  spec.nodes.forEach((n, i) => {
    for (const [name, g] of Object.entries(n.graphs ?? {})) proto.node![i]!.attribute!.push({ name, type: onnx.AttributeProto.AttributeType.GRAPH, g });
  });
  return proto;
}

function load(spec: Spec) {
  const proto = modelProto({ nodes: [], inputs: [], outputs: [], opset: 16 });
  proto.graph = graph(spec);
  return importOnnx(onnx.ModelProto.encode(proto).finish(), 'm.onnx');
}

function run(spec: Spec, feeds: Record<string, Tensor>): Map<string, Tensor> {
  const imported = load(spec);
  expect(imported.diagnostics.map((d) => d.message)).toEqual([]);
  return interpret(imported.graph!, new Map(Object.entries(feeds))).outputs;
}

function refusal(spec: Spec): { codes: number[]; messages: string[] } {
  const imported = load(spec);
  expect(imported.graph).toBeUndefined();
  const errors = imported.diagnostics.filter((d) => d.severity === 'error');
  return { codes: errors.map((d) => d.code), messages: errors.map((d) => d.message) };
}

const x = tensor('f32', [3], [1, -2, 3.5]);
const k = tensor('f32', [2], [2, -1]);
const v = tensor('f32', [2], [10, 20]);
const i64 = (n: number): Tensor => tensor('i64', [], [n]);
const bool = (b: boolean): Tensor => tensor('bool', [], [b ? 1 : 0]);

describe('If', () => {
  const branches = {
    then_branch: graph({ nodes: [{ op: 'Add', inputs: ['x', 'x'], outputs: ['twice'] }], inputs: [], outputs: [{ name: 'twice', elemType: 0 }] }),
    else_branch: graph({ nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['negated'] }], inputs: [], outputs: [{ name: 'negated', elemType: 0 }] }),
  };
  const ifModel = (cond: Tensor | undefined): Spec => ({
    nodes: [{ op: 'If', inputs: ['cond'], outputs: ['y'], graphs: branches }],
    inputs: [{ name: 'x', shape: [3] }, ...(cond ? [] : [{ name: 'cond', elemType: BOOL, shape: [] }])],
    outputs: [{ name: 'y', elemType: 0 }],
    initializers: cond ? { cond } : {},
  });

  it('inlines the branch a constant condition picks; the branch reads outer values', () => {
    expect(toNumbers(run(ifModel(bool(true)), { x }).get('y')!)).toEqual([2, -4, 7]);
    expect(toNumbers(run(ifModel(bool(false)), { x }).get('y')!)).toEqual([-1, 2, -3.5]);
  });

  it('refuses a condition known only at run time', () => {
    const r = refusal(ifModel(undefined));
    expect(r.codes).toEqual([3014]);
    expect(r.messages[0]).toContain('the If condition');
  });
});

/** A body with inputs (i, cond, v): v + float(i) carried, v · k scanned, the condition `condOut`. */
function loopBody(condNodes: GraphNode[] = [{ op: 'Identity', inputs: ['c'], outputs: ['c_out'] }], kName = 'k'): GraphProto {
  return graph({
    nodes: [
      ...condNodes,
      { op: 'Cast', inputs: ['i'], outputs: ['fi'], attrs: { to: FLOAT } },
      { op: 'Add', inputs: ['v_in', 'fi'], outputs: ['v_out'] },
      { op: 'Mul', inputs: ['v_in', kName], outputs: ['scan'] },
    ],
    inputs: [{ name: 'i', elemType: INT64, shape: [] }, { name: 'c', elemType: BOOL, shape: [] }, { name: 'v_in', elemType: 0 }],
    outputs: [{ name: 'c_out', elemType: 0 }, { name: 'v_out', elemType: 0 }, { name: 'scan', elemType: 0 }],
  });
}

function loopModel(opts: { trips?: Tensor | 'input'; cond?: Tensor; body?: GraphProto; extra?: GraphNode[] }): Spec {
  const initializers: Record<string, Tensor> = {};
  if (opts.trips && opts.trips !== 'input') initializers.M = opts.trips;
  if (opts.cond) initializers.cond = opts.cond;
  initializers.one = i64(1);
  return {
    nodes: [
      { op: 'Loop', inputs: [opts.trips ? 'M' : '', opts.cond ? 'cond' : '', 'v'], outputs: ['v_final', 'scans'], graphs: { body: opts.body ?? loopBody() } },
      ...(opts.extra ?? []),
    ],
    inputs: [{ name: 'v', shape: [2] }, { name: 'k', shape: [2] }, ...(opts.trips === 'input' ? [{ name: 'M', elemType: INT64, shape: [] }] : [])],
    outputs: [{ name: 'v_final', elemType: 0 }, { name: 'scans', elemType: 0 }],
    initializers,
  };
}

describe('Loop', () => {
  it('unrolls a known trip count, carrying values and stacking scan outputs', () => {
    const outs = run(loopModel({ trips: i64(3) }), { v, k });
    // v1 = v + 0, v2 = v1 + 1, v3 = v2 + 2; scans v0·k, v1·k, v2·k
    expect(toNumbers(outs.get('v_final')!)).toEqual([13, 23]);
    expect(outs.get('scans')!.shape).toEqual([3, 2]);
    expect(toNumbers(outs.get('scans')!)).toEqual([20, -20, 20, -20, 22, -21]);
  });

  it('stops when the body\'s condition turns false, with or without a trip count', () => {
    const stopAfterTwo = loopBody([{ op: 'Less', inputs: ['i', 'one'], outputs: ['c_out'] }]);
    for (const trips of [i64(10), undefined]) {
      const outs = run(loopModel({ trips, cond: bool(true), body: stopAfterTwo }), { v, k });
      expect(toNumbers(outs.get('v_final')!)).toEqual([11, 21]);
      expect(outs.get('scans')!.shape).toEqual([2, 2]);
    }
  });

  it('runs no iteration for a trip count of 0 or a false condition: empty scans of the right shape', () => {
    for (const spec of [loopModel({ trips: i64(0) }), loopModel({ trips: i64(5), cond: bool(false) })]) {
      const outs = run(spec, { v, k });
      expect(toNumbers(outs.get('v_final')!)).toEqual([10, 20]);
      expect(outs.get('scans')!.shape).toEqual([0, 2]);
    }
  });

  it('sees outer values that nodes after it produce', () => {
    const spec = loopModel({ trips: i64(2), body: loopBody(undefined, 'k2'), extra: [{ op: 'Mul', inputs: ['k', 'k'], outputs: ['k2'] }] });
    expect(toNumbers(run(spec, { v, k }).get('scans')!)).toEqual([40, 20, 40, 20]);
  });

  it('refuses a trip count known only at run time, and a condition that becomes data-dependent', () => {
    expect(refusal(loopModel({ trips: 'input' })).codes).toEqual([3014]);
    const dataCond = loopBody([{ op: 'ReduceSum', inputs: ['v_in'], outputs: ['s'], attrs: { keepdims: 0 } }, { op: 'Greater', inputs: ['s', 's'], outputs: ['c_out'] }]);
    const r = refusal(loopModel({ trips: i64(3), body: dataCond }));
    expect(r.codes).toEqual([3014]);
    expect(r.messages[0]).toContain('after iteration 1');
  });

  it(`refuses a loop that runs past ${MAX_UNROLLED_ITERATIONS} iterations`, () => {
    const r = refusal(loopModel({}));
    expect(r.codes).toEqual([3016]);
    expect(r.messages[0]).toContain(String(MAX_UNROLLED_ITERATIONS));
  });

  it('reports an error inside the body once, and the loop as failing', () => {
    const bad = graph({
      nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['c_out'] }, { op: 'Add', inputs: ['v_in', 'x3'], outputs: ['v_out'] }, { op: 'Identity', inputs: ['v_in'], outputs: ['scan'] }],
      inputs: [{ name: 'i', elemType: INT64, shape: [] }, { name: 'c', elemType: BOOL, shape: [] }, { name: 'v_in', elemType: 0 }],
      outputs: [{ name: 'c_out', elemType: 0 }, { name: 'v_out', elemType: 0 }, { name: 'scan', elemType: 0 }],
    });
    const spec = loopModel({ trips: i64(2), body: bad });
    const r = refusal({ ...spec, inputs: [...spec.inputs, { name: 'x3', shape: [3] }] });
    expect(r.codes.filter((c) => c === 2003)).toHaveLength(1); // cannot broadcast [2] with [3]
    expect(r.messages.some((m) => m.includes('has errors'))).toBe(true);
  });
});
