// Default-domain opsets 26 and 27: accepted, with every op that got a new version after opset
// 25 either converted at that version (Range-27) or refused with the reason.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../../compiler/diagnostics/diagnostic.js';
import { OP_VERSIONS_AFTER_25, versionAfter25 } from '../../../../compiler/import/onnx/converter.js';
import { CONVERTERS } from '../../../../compiler/import/onnx/converters/index.js';
import { DEFAULT_DOMAIN_OPSETS, unsupportedReason } from '../../../../compiler/import/onnx/import-graph.js';
import { importOnnx } from '../../../../compiler/import/onnx/index.js';
import { interpret } from '../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { encodeModel } from '../../../helpers/onnx-model.js';
import { randomTensor } from '../../../helpers/random.js';

const ONNX_FLOAT16 = 10, ONNX_BFLOAT16 = 16;

describe('default-domain opsets after 25', () => {
  it('accepts opsets up to 27, the newest the ONNX node tests use', () => {
    expect(DEFAULT_DOMAIN_OPSETS.max).toBe(27);
    for (const opset of [26, 27]) {
      const x = randomTensor('f32', [3, 4], opset);
      const bytes = encodeModel({ opset, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', shape: [3, 4] }], outputs: [{ name: 'y' }] });
      const { graph, diagnostics } = importOnnx(bytes, 'm.onnx');
      expect(diagnostics).toEqual([]);
      expect(toNumbers(interpret(graph!, new Map([['x', x]])).outputs.get('y')!)).toEqual(toNumbers(x).map((v) => Math.max(v, 0)));
    }
    const over = importOnnx(encodeModel({ opset: 28, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', shape: [3] }], outputs: [{ name: 'y' }] }), 'm.onnx');
    expect(over.diagnostics.map((d) => d.message)).toEqual(["opset 28 of domain 'ai.onnx' is not supported (sluice knows 1 to 27)"]);
  });

  it('every op with a new version after 25 that sluice converts says which version it follows', () => {
    for (const [op, versions] of Object.entries(OP_VERSIONS_AFTER_25)) {
      const entry = CONVERTERS.get(op);
      if (entry) expect(entry.latestVersion, op).toBeGreaterThanOrEqual(Math.max(...versions));
    }
    expect(versionAfter25('Range', 26)).toBeUndefined();
    expect(versionAfter25('Range', 27)).toBe(27);
    expect(versionAfter25('Relu', 27)).toBeUndefined();
  });

  it('an op whose new version the converter does not follow is refused with the reason', () => {
    const relu = CONVERTERS.get('Relu');
    const changed = { Relu: [27] };
    expect(unsupportedReason(relu, 'Relu', '', 26, changed)).toBeUndefined();
    expect(unsupportedReason(relu, 'Relu', '', 27, changed)).toBe('opset 27 has Relu-27, a version sluice does not convert yet');
    expect(unsupportedReason({ ...relu!, latestVersion: 27 }, 'Relu', '', 27, changed)).toBeUndefined();
    expect(unsupportedReason(CONVERTERS.get('Range'), 'Range', '', 27)).toBeUndefined();
  });

  it('Range-27 takes float16 and bfloat16, computed in float32 (stash_type) and cast back', () => {
    for (const [dtype, elemType] of [['f16', ONNX_FLOAT16], ['bf16', ONNX_BFLOAT16]] as const) {
      const bytes = encodeModel({
        opset: 27,
        nodes: [{ op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['y'] }],
        inputs: [],
        outputs: [{ name: 'y', elemType }],
        initializers: { start: tensor(dtype, [], [1.5]), limit: tensor(dtype, [], [7.25]), delta: tensor(dtype, [], [1.75]) },
      });
      const { graph, diagnostics } = importOnnx(bytes, 'm.onnx');
      expect(diagnostics).toEqual([]);
      const y = interpret(graph!, new Map()).outputs.get('y')!;
      expect(y.dtype).toBe(dtype);
      expect(toNumbers(y)).toEqual([1.5, 3.25, 5, 6.75]);
    }
    const refused = importOnnx(encodeModel({
      opset: 27,
      nodes: [{ op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['y'], name: 'r', attrs: { stash_type: 11 } }],
      inputs: [],
      outputs: [{ name: 'y' }],
      initializers: { start: tensor('f32', [], [0]), limit: tensor('f32', [], [3]), delta: tensor('f32', [], [1]) },
    }), 'm.onnx');
    expect(refused.diagnostics.map(formatDiagnostic)).toEqual(["m.onnx: node 'r' (Range): error SL3016: Range stash_type 11 is not supported (only 1, float32)"]);
  });
});
