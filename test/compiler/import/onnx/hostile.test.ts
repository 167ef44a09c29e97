// Bad and hostile ONNX input: each gives a diagnostic with a code that names the node and op,
// never a crash, and nothing is allocated or read before it is checked.

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../../../compiler/diagnostics/diagnostic.js';
import { importOnnx, loadOnnx } from '../../../../compiler/import/onnx/index.js';
import { onnx } from '../../../../compiler/import/onnx/proto.js';
import { tensor } from '../../../../compiler/interpret/tensor.js';
import { encodeModel, modelProto, ONNX_INT64, type ModelSpec } from '../../../helpers/onnx-model.js';

function codes(diags: readonly Diagnostic[]): number[] {
  return diags.map((d) => d.code);
}

function text(diags: readonly Diagnostic[]): string {
  return diags.map(formatDiagnostic).join('\n');
}

const identity: ModelSpec = {
  nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'], name: 'copy' }],
  inputs: [{ name: 'x', shape: ['N', 3] }],
  outputs: [{ name: 'y', shape: ['N', 3] }],
};

describe('ONNX import refuses bad models with diagnostics', () => {
  it('imports a good model (the baseline of the cases below)', () => {
    const r = importOnnx(encodeModel(identity), 'm.onnx');
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.inputs[0]!.shape.map((d) => d.key)).toEqual(['N', '3']);
  });

  it('an input of a type sluice has no dtype for, named by its ONNX name', () => {
    const strings: ModelSpec = { ...identity, inputs: [{ name: 'x', elemType: 8, shape: ['N', 3] }] };
    const r = importOnnx(encodeModel(strings), 'm.onnx');
    expect(codes(r.diagnostics)).toContain(3011);
    expect(text(r.diagnostics)).toContain("data type string (8) of input 'x' is not supported");
  });

  it('a truncated file and random bytes', () => {
    const bytes = encodeModel(identity);
    for (const cut of [1, 7, bytes.length >> 1, bytes.length - 3]) {
      const r = importOnnx(bytes.slice(0, cut), 'm.onnx');
      expect(r.graph).toBeUndefined();
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
    const junk = importOnnx(new TextEncoder().encode('this is not an onnx model at all, just text'), 'junk.onnx');
    expect(codes(junk.diagnostics)).toEqual([3001]);
    expect(text(junk.diagnostics)).toContain('junk.onnx');
  });

  it('an unknown domain and an unknown opset', () => {
    const domain = importOnnx(encodeModel({ ...identity, nodes: [{ op: 'Frob', domain: 'com.example', inputs: ['x'], outputs: ['y'], name: 'frob1' }], opsets: [{ domain: '', version: 17 }, { domain: 'com.example', version: 1 }] }), 'm.onnx');
    expect(codes(domain.diagnostics)).toEqual([3006]);
    expect(text(domain.diagnostics)).toContain("node 'frob1' (Frob)");
    const opset = importOnnx(encodeModel({ ...identity, opset: 99 }), 'm.onnx');
    expect(codes(opset.diagnostics)).toEqual([3005]);
    expect(opset.diagnostics[0]!.message).toBe("opset 99 of domain 'ai.onnx' is not supported (sluice knows 1 to 27)");
  });

  it('refuses optional and sequence inputs and outputs, naming each with its type', () => {
    const spec = modelProto(identity);
    spec.graph!.input![0]!.type = { optionalType: { elemType: { sequenceType: { elemType: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 5 }] } } } } } } };
    spec.graph!.output![0]!.type = { sequenceType: { elemType: { tensorType: { elemType: 7 } } } };
    const r = importOnnx(encodeModel(spec), 'm.onnx');
    expect(r.graph).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "m.onnx: node 'x' (graph input): error SL3020: input 'x' is optional(sequence(tensor(float))), not a tensor; optional, sequence and map values are not supported",
      "m.onnx: node 'y' (graph output): error SL3020: output 'y' is sequence(tensor(int64)), not a tensor; optional, sequence and map values are not supported",
    ]);
  });

  it('lists every unsupported op at once, with node names and counts', () => {
    const r = importOnnx(encodeModel({
      nodes: [
        { op: 'Frobnicate', inputs: ['x'], outputs: ['a'], name: 'f1' },
        { op: 'Frobnicate', inputs: ['a'], outputs: ['b'], name: 'f2' },
        { op: 'Gribble', inputs: ['b'], outputs: ['c'], name: 'g1' },
        { op: 'Identity', inputs: ['c'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [3] }],
      outputs: [{ name: 'y', shape: [3] }],
    }), 'm.onnx');
    expect(codes(r.diagnostics)).toEqual([3002, 3002]);
    expect(text(r.diagnostics)).toContain("m.onnx: node 'f1' (Frobnicate): error SL3002: unsupported ONNX op 'Frobnicate'\n  note: used by 2 nodes: 'f1', 'f2'");
    expect(text(r.diagnostics)).toContain("node 'g1' (Gribble): error SL3002: unsupported ONNX op 'Gribble'\n  note: used by 1 node: 'g1'");
    expect(r.summary!.ops.map((o) => [o.op, o.count, o.supported])).toEqual([['Frobnicate', 2, false], ['Gribble', 1, false], ['Identity', 1, true]]);
  });

  it('a cycle, a value nobody produces, and an output nobody produces', () => {
    const cycle = importOnnx(encodeModel({
      nodes: [
        { op: 'Identity', inputs: ['b'], outputs: ['a'], name: 'n1' },
        { op: 'Identity', inputs: ['a'], outputs: ['b'], name: 'n2' },
        { op: 'Identity', inputs: ['b'], outputs: ['y'], name: 'n3' },
      ],
      inputs: [{ name: 'x', shape: [3] }],
      outputs: [{ name: 'y', shape: [3] }],
    }), 'm.onnx');
    expect(codes(cycle.diagnostics)).toContain(3008);
    const missing = importOnnx(encodeModel({ ...identity, nodes: [{ op: 'Concat', inputs: ['x', 'w'], outputs: ['y'], name: 'join', attrs: { axis: 0 } }] }), 'm.onnx');
    expect(codes(missing.diagnostics)).toEqual([3007]);
    expect(text(missing.diagnostics)).toContain("node 'join' (Concat): error SL3007: 'w' is used but nothing produces it");
    const noOutput = importOnnx(encodeModel({ ...identity, outputs: [{ name: 'z', shape: [3] }] }), 'm.onnx');
    expect(codes(noOutput.diagnostics)).toEqual([3009]);
  });

  it('inconsistent shapes, named at the node', () => {
    const r = importOnnx(encodeModel({
      nodes: [{ op: 'Concat', inputs: ['x', 'z'], outputs: ['y'], name: 'joiner', attrs: { axis: 0 } }],
      inputs: [{ name: 'x', shape: [2, 3] }, { name: 'z', shape: [2, 4] }],
      outputs: [{ name: 'y' }],
    }), 'm.onnx');
    expect(codes(r.diagnostics)).toEqual([2001]);
    expect(text(r.diagnostics)).toContain("m.onnx: node 'joiner' (Concat): error SL2001: concat operands differ off the concatenation axis 0");
    const declared = importOnnx(encodeModel({ ...identity, inputs: [{ name: 'x', shape: [2, 3] }], outputs: [{ name: 'y', shape: [5, 3] }] }), 'm.onnx');
    expect(codes(declared.diagnostics)).toEqual([3012]);
    expect(declared.diagnostics[0]!.message).toBe("output 'y' is declared [5, 3] but computes [2, 3]");
  });

  it('an initializer that declares a huge size in a tiny file, refused before allocating', () => {
    const proto = modelProto({ ...identity, nodes: [{ op: 'Concat', inputs: ['x', 'w'], outputs: ['y'], attrs: { axis: 0 } }] });
    proto.graph!.initializer = [{ name: 'w', dims: [1e6, 1e6, 3], dataType: 1, rawData: new Uint8Array(12) }];
    const bytes = onnx.ModelProto.encode(proto).finish();
    expect(bytes.length).toBeLessThan(1024);
    const start = performance.now();
    const r = importOnnx(bytes, 'm.onnx');
    expect(performance.now() - start).toBeLessThan(1000);
    // Refused as too large or as inconsistent with its 12 bytes of data; either way unallocated.
    expect(r.diagnostics).toHaveLength(1);
    expect([5006, 5013]).toContain(r.diagnostics[0]!.code);
    expect(text(r.diagnostics)).toContain("while reading initializer 'w'");
  });
});

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ext-'));
  const modelDir = join(dir, 'model');
  mkdirSync(modelDir);
  writeFileSync(join(modelDir, 'weights.bin'), new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
  writeFileSync(join(dir, 'secret.bin'), new Uint8Array(64));
  symlinkSync(join(dir, 'secret.bin'), join(modelDir, 'link.bin'));

  function withExternal(entries: Record<string, string>, dims = [2, 3]): string {
    const proto = modelProto({ ...identity, nodes: [{ op: 'Concat', inputs: ['x', 'w'], outputs: ['y'], attrs: { axis: 0 } }], inputs: [{ name: 'x', shape: [1, 3] }], outputs: [{ name: 'y' }] });
    proto.graph!.initializer = [{ name: 'w', dims, dataType: 1, dataLocation: 1, externalData: Object.entries(entries).map(([key, value]) => ({ key, value })) }];
    const path = join(modelDir, `m${Math.random().toString(36).slice(2)}.onnx`);
    writeFileSync(path, onnx.ModelProto.encode(proto).finish());
    return path;
  }

  it('reads data inside the model folder', () => {
    const r = loadOnnx(withExternal({ location: 'weights.bin' }));
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.outputs[0]!.node.shape.map((d) => d.key)).toEqual(['3', '3']);
  });

  it('refuses absolute paths, escapes through .. and links, and ranges past the file', () => {
    const cases: [Record<string, string>, string][] = [
      [{ location: join(dir, 'secret.bin') }, 'is an absolute path'],
      [{ location: '../secret.bin' }, "is outside the model's folder"],
      [{ location: 'link.bin' }, "leads outside the model's folder"],
      [{ location: 'weights.bin', offset: '16', length: '24' }, 'runs past the end of the file'],
      [{ location: 'weights.bin', offset: '4096' }, 'is outside the file'],
      [{ location: 'nope.bin' }, 'does not exist'],
    ];
    for (const [entries, reason] of cases) {
      const r = loadOnnx(withExternal(entries));
      expect(codes(r.diagnostics), reason).toEqual([3013]);
      expect(r.diagnostics[0]!.message).toContain(reason);
    }
    const huge = loadOnnx(withExternal({ location: 'weights.bin' }, [1e7, 1e7]));
    expect(huge.graph).toBeUndefined();
  });

  it('refuses external data when the model did not come from a file', () => {
    const proto = modelProto({ ...identity, nodes: [{ op: 'Concat', inputs: ['x', 'w'], outputs: ['y'], attrs: { axis: 0 } }] });
    proto.graph!.initializer = [{ name: 'w', dims: [2, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] }];
    const r = importOnnx(onnx.ModelProto.encode(proto).finish(), 'mem.onnx');
    expect(codes(r.diagnostics)).toEqual([3013]);
  });
});

describe('shape arithmetic folds into dims', () => {
  it('Shape → Gather → Unsqueeze → Concat → Reshape keeps the symbolic dims', () => {
    const r = importOnnx(encodeModel({
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'tail'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: ['batch', 4, 6] }],
      outputs: [{ name: 'y', shape: ['batch', 'any'] }],
      initializers: { zero: tensor('i64', [], [0]), axes0: tensor('i64', [1], [0]), tail: tensor('i64', [1], [-1]) },
    }), 'm.onnx');
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.outputs[0]!.node.shape.map((d) => d.key)).toEqual(['batch', '24']);
    expect(r.graph!.outputs[0]!.node.op).toBe('reshape');
  });

  it('Shape of symbolic dims used as data stays a dim_values node', () => {
    const r = importOnnx(encodeModel({
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: ['batch', 4] }],
      outputs: [{ name: 'y', elemType: ONNX_INT64, shape: [2] }],
    }), 'm.onnx');
    expect(r.graph!.outputs[0]!.node.op).toBe('dim_values');
  });
});
