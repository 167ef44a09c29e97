// Integer division by a constant zero (zero-sized dims in slices and reshapes) is legalized
// before printing: WGSL rejects `x / 0i` at shader creation. The printed module has no such
// division, Dawn compiles it, and the three ONNX node tests that used to crash on it pass.

/// <reference types="@webgpu/types" />
import { describe, expect, it } from 'vitest';
import { i32, KernelBuilder, store } from '../../../compiler/kernel/builder.js';
import type { Expr } from '../../../compiler/kernel/ir.js';
import { legalizeForWgsl } from '../../../targets/wgsl/legalize.js';
import { printWgslKernel } from '../../../targets/wgsl/module.js';
import { loadIndex, nodeTestsPresent } from '../../conformance/runner.js';
import { runNodeTestOnWebGpu } from '../../conformance/webgpu-runner.js';
import { testGpu } from './device.js';

const gpu = await testGpu();
const bin = (op: 'div' | 'rem', a: Expr, b: Expr): Expr => ({ kind: 'binary', op, type: a.type, a, b });

function divideByZeroKernel() {
  const kb = new KernelBuilder('div_zero', ['slice_0']);
  const y = kb.buffer('y', 'i32', 'write');
  kb.loop('g', i32(0), kb.uniform('n'), 'grid.x', (g) => kb.emit(
    store(y, g, bin('div', g, i32(0))),
    store(y, g, bin('rem', bin('div', g, { kind: 'cast', type: 'i32', a: i32(0) }), i32(7))),
    store(y, g, bin('rem', g, i32(0))),
  ));
  return kb.finish();
}

describe('integer division by a constant zero in WGSL', () => {
  it('becomes WGSL\'s runtime result: x / 0 = x, x % 0 = 0', () => {
    const k = divideByZeroKernel();
    const body = JSON.stringify(legalizeForWgsl(k).body);
    expect(body).not.toContain('"op":"div"');
    const code = printWgslKernel(k, { f16: false }).code;
    expect(code).not.toMatch(/[/%] *\(?0i/);
    expect(code).toContain('% 7i');
  });
  it('leaves other divisions alone', () => {
    const kb = new KernelBuilder('div_n', []);
    const y = kb.buffer('y', 'i32', 'write');
    kb.loop('g', i32(0), kb.uniform('n'), 'grid.x', (g) => kb.emit(store(y, g, bin('div', g, i32(3)))));
    const k = kb.finish();
    expect(legalizeForWgsl(k).body).toEqual(k.body);
  });
  it.skipIf(!gpu)('compiles on Dawn', async () => {
    const { device } = gpu!;
    const module = device.createShaderModule({ code: printWgslKernel(divideByZeroKernel(), { f16: false }).code });
    const info = await module.getCompilationInfo();
    expect(info.messages.filter((m) => m.type === 'error').map((m) => m.message)).toEqual([]);
  });
});

const CRASHED = ['test_reduce_sum_empty_set_non_reduced_axis_zero', 'test_reshape_allowzero_reordered', 'test_slice_start_out_of_bounds'];

describe.skipIf(!gpu || !nodeTestsPresent())('ONNX node tests with zero-sized dims on WebGPU', () => {
  for (const name of CRASHED) {
    it(name, async () => {
      const entry = loadIndex().find((e) => e.name === name)!;
      const result = await runNodeTestOnWebGpu(entry, gpu!.device);
      expect(result.reason).toBe('');
      expect(result.status).toBe('pass');
    });
  }
});
