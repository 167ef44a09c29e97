import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../../compiler/diagnostics/messages.js';
import { tensor, toNumbers } from '../../../compiler/interpret/tensor.js';
import { readTensorFile, writeNpyFile } from '../../../compiler/io/files.js';
import { NPY_FIXTURES, ONNX_NODE_TESTS, expectDiagnostic, expectSameTensor, sample } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sluice-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tensor files on disk', () => {
  it('writes and reads back .npy', () => {
    const p = path.join(dir, 'x.npy');
    const t = sample('f16', [3, 129]);
    writeNpyFile(p, t);
    expectSameTensor(readTensorFile(p), t);
    expect(readFileSync(p).subarray(1, 6).toString()).toBe('NUMPY');
  });

  it('reads numpy fixtures, ONNX .pb files, and upper-case extensions', () => {
    expect(toNumbers(readTensorFile(path.join(NPY_FIXTURES, 'u8_4.npy')))).toEqual([0, 255, 128, 1]);
    const pb = readTensorFile(path.join(ONNX_NODE_TESTS, 'test_add', 'test_data_set_0', 'input_0.pb'));
    expect([pb.dtype, pb.shape]).toEqual(['f32', [3, 4, 5]]);
    const upper = path.join(dir, 'UPPER.NPY');
    writeNpyFile(upper, tensor('i32', [2], [5, -5]));
    expect(toNumbers(readTensorFile(upper))).toEqual([5, -5]);
  });

  it('chooses the format by extension only', () => {
    expectDiagnostic(() => readTensorFile(path.join(dir, 'x.txt')), 5006, "expected .npy or .pb, got '.txt'");
    expectDiagnostic(() => readTensorFile(path.join(dir, 'noext')), 5006, /expected .npy or .pb/);
    const wrong = path.join(dir, 'wrong.pb');
    writeNpyFile(wrong, tensor('f32', [2], [1, 2])); // npy bytes under a .pb name
    expect(() => readTensorFile(wrong)).toThrow(/SL500[6]|SL5013/);
  });

  it('turns file-system errors into diagnostics', () => {
    const missing = path.join(dir, 'missing.npy');
    expectDiagnostic(() => readTensorFile(missing), 5006, `cannot read '${missing}': no such file or directory`);
    const folder = path.join(dir, 'folder.npy');
    mkdirSync(folder);
    expectDiagnostic(() => readTensorFile(folder), 5006, /it is a directory/);
    expectDiagnostic(() => readTensorFile(path.join(dir, 'x.npy', 'y.npy')), 5006, /not a directory/);
    expectDiagnostic(() => writeNpyFile(path.join(dir, 'no', 'such', 'dir.npy'), tensor('u8', [1], [1])), MESSAGES.cannotWrite.code,
      /cannot write '.*dir.npy': no such file or directory/);
  });

  it('refuses files larger than the size limit allows before reading them', () => {
    const p = path.join(dir, 'big.npy');
    writeFileSync(p, new Uint8Array(2 << 20));
    expectDiagnostic(() => readTensorFile(p, { maxBytes: 1024 }), 5013, /'.*big.npy' would need 2,097,152 bytes/);
  });
});
