// attention(q, k, v, cache: C, sink: n, window: W): the KV-cache spelling of attention, and the
// diagnostics for cache policies that cannot work (each at the argument that is wrong).

import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { isOp } from '../../compiler/ir/node.js';
import { compile, diagnosticsOf, model } from './helpers.js';

const QKV = '  input q: f32[4, 1, 8]\n  input k: f32[2, 1, 8]\n  input v: f32[2, 1, 8]';
const call = (args: string) => model(`${QKV}\n  output y = attention(q, k, v, ${args})`);

describe('attention with a KV cache', () => {
  it.each([
    ['cache: 512, sink: 4, window: 508', 4, 508],
    ['cache: 512, sink: 4', 4, 508],
    ['cache: 64', 0, 64],
    ['window: 16', 0, 16],
    ['sink: 2, window: 16', 2, 16],
  ])('attention(q, k, v, %s) becomes one kv_attention with sink %i and window %i', (args, sink, window) => {
    const { graph, diagnostics } = compile(call(args));
    expect(diagnostics).toEqual([]);
    const y = graph!.outputs[0]!.node;
    expect(isOp(y, 'kv_attention') && [y.attrs.sink, y.attrs.window, y.attrs.scale, y.attrs.state]).toEqual([sink, window, undefined, 'kv']);
  });

  it('passes an explicit scale through', () => {
    const y = compile(call('cache: 8, scale: 0.25')).graph!.outputs[0]!.node;
    expect(isOp(y, 'kv_attention') && y.attrs.scale).toBe(0.25);
  });

  it.each([
    ['cache: 0', "5:40 SL1112 argument 'cache' must be at least 1 token, not 0"],
    ['cache: 8, sink: -1', "5:49 SL1112 argument 'sink' must be 0 or more tokens, not -1"],
    ['window: 0', "5:41 SL1112 argument 'window' must be at least 1 token, not 0"],
    ['cache: 8, sink: 8', "5:49 SL1112 argument 'sink' must leave room in the cache for recent tokens: 8 ≥ cache 8"],
    ['cache: 8, sink: 2, window: 4', "5:60 SL1112 argument 'window' must be cache − sink = 6, not 4"],
    ['sink: 4', "5:39 SL1112 argument 'sink' needs a KV cache: give cache (its capacity) or window as well"],
    ['mask: q, cache: 8', "5:39 SL1112 argument 'mask' cannot be given with a KV cache: each new token attends over every token the cache keeps"],
  ])('attention(q, k, v, %s) is refused', (args, message) => {
    expect(diagnosticsOf(call(args))).toEqual([message]);
  });

  it('points a caret at the wrong argument', () => {
    const [d] = compile(call('cache: 8, sink: 2, window: 4'), 'decode.sluice').diagnostics;
    expect(formatDiagnostic(d!)).toBe([
      "decode.sluice:5:60: error SL1112: argument 'window' must be cache − sink = 6, not 4",
      '  5 |   output y = attention(q, k, v, cache: 8, sink: 2, window: 4)',
      '    |                                                            ^',
    ].join('\n'));
  });

  it('reports q, k, v that do not fit a cache (rank 3 needed)', () => {
    const source = model('  input q: f32[1, 4, 1, 8]\n  output y = attention(q, q, q, cache: 8)');
    expect(diagnosticsOf(source)).toEqual([expect.stringMatching(/^3:14 SL2001 kv_attention needs q, k, v of rank 3/)]);
  });
});
