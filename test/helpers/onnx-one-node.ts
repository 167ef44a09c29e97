// One-node ONNX models for converter tests: build, import, run on the interpreter.

import { expect } from 'vitest';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { importOnnx } from '../../compiler/import/onnx/index.js';
import { onnx, type AttributeProto } from '../../compiler/import/onnx/proto.js';
import { DTYPES } from '../../compiler/ir/dtype.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import type { Tensor } from '../../compiler/interpret/tensor.js';
import { modelProto, type ModelSpec, type NodeSpec } from './onnx-model.js';

export interface OneNode {
  readonly op: string;
  /** The node's inputs in order, as graph inputs (or initializers, see `constants`); '' leaves one out. */
  readonly inputs: readonly (readonly [string, Tensor] | '')[];
  /** The node's outputs (default ['y']); '' leaves an optional one out. Named ones are graph outputs. */
  readonly outputs?: readonly string[];
  readonly attrs?: NodeSpec['attrs'];
  /** Attributes that must be FLOAT even when their value is a whole number. */
  readonly floats?: Readonly<Record<string, number>>;
  readonly opset?: number;
  /** Inputs that become initializers (import-time constants) instead of graph inputs. */
  readonly constants?: readonly string[];
  /** Graph inputs with symbolic dims: name → dims (strings are dim names; the data binds them). */
  readonly symbolic?: Readonly<Record<string, readonly (string | number)[]>>;
  /** Nodes to use instead of the single node (same inputs and outputs). */
  readonly nodes?: readonly NodeSpec[];
}

function given(c: OneNode): (readonly [string, Tensor])[] {
  return c.inputs.filter((i): i is readonly [string, Tensor] => i !== '');
}

function isConstant(c: OneNode, name: string): boolean {
  return (c.constants ?? []).includes(name);
}

function encode(c: OneNode): Uint8Array {
  const outputs = c.outputs ?? ['y'];
  const spec: ModelSpec = {
    opset: c.opset ?? 21,
    nodes: c.nodes ?? [{ op: c.op, name: 'n', inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs, attrs: c.attrs }],
    inputs: given(c).filter(([n]) => !isConstant(c, n)).map(([name, t]) => ({ name, elemType: DTYPES[t.dtype].onnx, shape: c.symbolic?.[name] ?? t.shape })),
    initializers: Object.fromEntries(given(c).filter(([n]) => isConstant(c, n))),
    outputs: outputs.filter((o) => o !== '').map((name) => ({ name, elemType: 0 })),
  };
  const proto = modelProto(spec);
  const T = onnx.AttributeProto.AttributeType;
  for (const node of proto.graph!.node!) {
    for (const [name, f] of Object.entries(c.floats ?? {})) node.attribute = [...(node.attribute ?? []).filter((a: AttributeProto) => a.name !== name), { name, type: T.FLOAT, f }];
  }
  return onnx.ModelProto.encode(proto).finish();
}

export function importOneNode(c: OneNode): { graph: Graph | undefined; diagnostics: Diagnostic[] } {
  return importOnnx(encode(c), 'm.onnx');
}

/** Imports (expecting no diagnostics) and runs the model; returns every named output. */
export function runOneNode(c: OneNode): Map<string, Tensor> {
  const { graph, diagnostics } = importOneNode(c);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return interpret(graph!, new Map(given(c).filter(([n]) => !isConstant(c, n)))).outputs;
}

/** Output y of `runOneNode`. */
export function runY(c: OneNode): Tensor {
  return runOneNode(c).get('y')!;
}

/** The first error of an import that must fail. */
export function refusal(c: OneNode): Diagnostic {
  const { graph, diagnostics } = importOneNode(c);
  expect(graph).toBeUndefined();
  return diagnostics.find((d) => d.severity === 'error')!;
}
