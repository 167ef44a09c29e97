import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../compiler/import/onnx/proto.js';
import { importOnnx } from '../../compiler/import/onnx/index.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { readTensorProto } from '../../compiler/io/tensor-proto.js';
import { toNumbers } from '../../compiler/interpret/tensor.js';
import { formatDiagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { NODE_TESTS_DIR } from '../conformance/runner.js';

for (const name of ['test_range_int32_type_negative_delta_expanded', 'test_range_bfloat16_type_positive_delta_expanded']) {
  it(name, () => {
    const dir = join(NODE_TESTS_DIR, name);
    const m = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
    m.opsetImport[0]!.version = 25;
    const bytes = onnx.ModelProto.encode(m).finish();
    const read = (f: string) => readTensorProto(readFileSync(join(dir, 'test_data_set_0', f)), f);
    const inputs = new Map(['start', 'limit', 'delta'].map((n, i) => [n, read(`input_${i}.pb`)]));
    const plain = importOnnx(bytes, 'x.onnx');
    console.log('plain:', plain.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
    const r = importOnnx(bytes, 'x.onnx', { constantInputs: inputs });
    console.log(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
    const out = interpret(r.graph!, new Map()).outputs.get('output')!;
    console.log(name, out.dtype, out.shape, toNumbers(out), 'expected', toNumbers(read('output_0.pb')));
  });
}
