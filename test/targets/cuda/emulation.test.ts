// The emulation header (targets/cuda/emulation/sluice_cuda_emu.h) on its own: block barriers
// between fibers, __shared__ shared by one block's threads, warp shuffles per 32 lanes, 2-d
// blocks and grids, and half/bfloat16 conversions that round like the interpreter's.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHalfBits, toBf16Bits, toHalfBits } from '../../../compiler/interpret/float-formats.js';
import { cudaEmulationHeader } from '../../../compiler/package/write-cuda-package.js';
import { seededRandom } from '../../helpers/random.js';
import { HAS_GXX, removeTempDirs, run, tempDir } from './harness.js';

afterAll(() => removeTempDirs());

const PROGRAM = String.raw`
#include <cstdio>
extern "C" __global__ void block_sums(const float* __restrict__ x, float* __restrict__ out, int n) {
  __shared__ float part[256];
  int t = threadIdx.x + threadIdx.y * blockDim.x;      // 2-d block of 64 x 4
  float acc = 0.0f;
  for (int i = blockIdx.x * 256 + t; i < n; i += 256 * gridDim.x) acc += x[i];
  part[t] = acc;
  __syncthreads();
  for (int s = 128; s >= 32; s >>= 1) { if (t < s) part[t] += part[t + s]; __syncthreads(); }
  float v = t < 32 ? part[t] : 0.0f;
  for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
  if (t == 0) out[blockIdx.x] = v;
}
extern "C" __global__ void lanes(int* out) {
  int lane = threadIdx.x % 32;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, lane * 10, 3) + 1000 * __shfl_sync(0xffffffffu, lane, 31 - lane);
}
int main() {
  const int n = 100000;
  float *x, *o; int* l;
  cudaMalloc(&x, n * 4); cudaMalloc(&o, 3 * 4); cudaMalloc(&l, 64 * 4);
  double want[3] = {0, 0, 0};
  for (int i = 0; i < n; i++) { x[i] = (float)(i % 17) * 0.25f; want[(i / 256) % 3] += x[i]; }
  SLUICE_LAUNCH(block_sums, dim3(3), dim3(64, 4), 0, nullptr, x, o, n);
  for (int b = 0; b < 3; b++) if (o[b] != (float)want[b]) { std::printf("block %d: %f vs %f\n", b, o[b], want[b]); return 1; }
  SLUICE_LAUNCH(lanes, dim3(1), dim3(64), 0, nullptr, l);
  for (int t = 0; t < 64; t++) {
    int lane = t % 32, down = lane + 3 < 32 ? lane + 3 : lane;
    if (l[t] != down * 10 + 1000 * (31 - lane)) { std::printf("lane %d: %d\n", t, l[t]); return 1; }
  }
  float f; unsigned bits;
  while (std::scanf("%x", &bits) == 1) {
    std::memcpy(&f, &bits, 4);
    std::printf("%04x %04x %08x\n", __float2half_rn(f).bits, __float2bfloat16_rn(f).bits, __float_as_int(__half2float(__float2half_rn(f))));
  }
  return 0;
}
`;

describe.skipIf(!HAS_GXX)('the CUDA emulation header', () => {
  it('runs barriers, shared memory and warp shuffles, and rounds half/bfloat16 like the interpreter', () => {
    const dir = tempDir('emu-header');
    writeFileSync(join(dir, 'sluice_cuda_emu.h'), cudaEmulationHeader());
    writeFileSync(join(dir, 'test.cu'), PROGRAM);
    run('g++', ['-std=c++17', '-O1', '-fwrapv', '-I', dir, '-include', 'sluice_cuda_emu.h', '-x', 'c++', join(dir, 'test.cu'), '-o', join(dir, 'test')]);
    const next = seededRandom(3);
    const values = [0, -0, 1, -1, 65504, 65520, 1e-8, 5.96e-8, 2.98e-8, 6.1e-5, 1 / 3, Infinity, -Infinity, NaN, 3.4e38,
      ...Array.from({ length: 300 }, (_, i) => next() * 10 ** ((i % 12) - 6))].map(Math.fround);
    const words = values.map((v) => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, v, true); return b.getUint32(0, true).toString(16); });
    writeFileSync(join(dir, 'in.txt'), words.join('\n'));
    const r = run('sh', ['-c', `${join(dir, 'test')} < ${join(dir, 'in.txt')}`]);
    const lines = r.trim().split('\n');
    expect(lines.length).toBe(values.length);
    lines.forEach((line, i) => {
      const [h, b, back] = line.split(' ').map((s) => Number.parseInt(s, 16));
      const v = values[i]!;
      if (Number.isNaN(v)) { expect(h! & 0x7c00).toBe(0x7c00); return; }
      expect(h, `half of ${v}`).toBe(toHalfBits(v));
      expect(b, `bfloat16 of ${v}`).toBe(toBf16Bits(v));
      const f = new DataView(new ArrayBuffer(4)); f.setUint32(0, back!, true);
      expect(f.getFloat32(0, true), `half round trip of ${v}`).toBe(fromHalfBits(toHalfBits(v)));
    });
    expect(readFileSync(join(dir, 'in.txt'), 'utf8').length).toBeGreaterThan(0);
  });
});
