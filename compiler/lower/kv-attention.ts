// A kv_attention node → the KV-cache decode kernels (compiler/lower/kv-decode.ts): split-K
// partial, combine, append, advance. The decode program's own values are rebound to the
// enclosing program's: q, k, v and y to the node's operands and result, the caches and
// position to new state values (which the manifest declares and the runtime keeps between
// runs), the split-K partials to temporaries. Any fixed number of new tokens per call, on
// every target (GPU targets get the GPU schedule of compiler/lower/kv-decode-gpu.ts; a kernel
// left CPU-style goes through the generic adapter).

import { constValue, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import type { DType } from '../ir/dtype.js';
import { buildKvDecodeProgram } from './kv-decode.js';
import { LoweringError } from './errors.js';
import type { GroupLowering, ValueRef } from './group-context.js';
import type { LoweredKernel } from './specs.js';

type KvNode = Extract<Node, { op: 'kv_attention' }>;

/** Adds a value of the enclosing program (role state or temp); gives its id. */
export type AddKvValue = (role: 'state' | 'temp', name: string, type: { dtype: DType; shape: readonly Dim[] }) => ValueRef;

export function lowerKvAttention(g: GroupLowering, node: KvNode, addValue: AddKvValue): LoweredKernel[] {
  const [q, k, v] = node.src as [Node, Node, Node];
  const fixed = (d: Dim, what: string): number => {
    const n = constValue(d);
    if (n === undefined) throw new LoweringError('kv_attention', ` (the ${what} must be a fixed number, not ${d.key}: fix it with --dim NAME=VALUE)`);
    return n;
  };
  const tokens = fixed(q.shape[1]!, 'count of new tokens');
  const heads = fixed(q.shape[0]!, 'query head count');
  const kvHeads = fixed(k.shape[0]!, 'key/value head count');
  const headDim = fixed(q.shape[2]!, 'head dim');
  const valueDim = fixed(v.shape[2]!, 'value head dim');
  const { sink, window, scale, state } = node.attrs;
  const decode = buildKvDecodeProgram({
    name: g.name, heads, kvHeads, headDim, valueDim, tokens, policy: { sink, window }, ...(scale === undefined ? {} : { scale }),
  }, g.target);

  // The decode program's value ids → this program's.
  const rebound = new Map<string, string>([
    ['q', g.valueOf(q).value], ['k', g.valueOf(k).value], ['v', g.valueOf(v).value], ['y', g.out.value],
  ]);
  for (const value of decode.values) {
    if (rebound.has(value.id)) continue;
    if (value.role !== 'state' && value.role !== 'temp') throw new Error(`kv_attention lowering: unexpected ${value.role} value ${value.id}`);
    const name = value.role === 'state' ? `${state}_${value.name}` : `${g.name}_${value.name}`;
    rebound.set(value.id, addValue(value.role, name, value).value);
  }
  const kernels = new Map(decode.kernels.map((kernel) => [kernel.name, kernel]));
  return decode.dispatches.map((d) => ({
    kernel: kernels.get(d.kernel)!,
    buffers: Object.fromEntries(Object.entries(d.buffers).map(([param, value]) => [param, rebound.get(value)!])),
    uniforms: d.uniforms,
    grid: d.grid,
  }));
}
