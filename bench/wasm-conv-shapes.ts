// One convolution (bias + relu epilogue) at a time, lowered for the wasm target and printed
// alone, timed by the CPU time of one call over all its work items (1 thread): what the conv
// schedules (compiler/lower/conv*.ts) give on ResNet-like shapes, without a model around them.
//
//   npm run build && node --no-liftoff dist/bench/wasm-conv-shapes.js [--cases 56x56,s2] [--runs 40]
//                                                                     [--schedule auto|panel|rows]
//
// `--no-liftoff` makes V8 compile with its optimising tier at once (otherwise the first calls
// of a small kernel time the baseline tier). Inputs are a fixed sine pattern (timing only; the
// tests check the numbers). --schedule forces the packed-panel or row schedule where it applies.

import { loadavg } from 'node:os';
import { constDim, constValue } from '../compiler/ir/dim.js';
import { f32, max, splat } from '../compiler/kernel/builder.js';
import type { Expr } from '../compiler/kernel/ir.js';
import { WASM_TARGET } from '../compiler/kernel/program.js';
import { lowerConv } from '../compiler/lower/conv.js';
import { lowerConvPanel } from '../compiler/lower/conv-panel.js';
import { lowerConvRows } from '../compiler/lower/conv-rows.js';
import type { ConvSpec, StridedOperand } from '../compiler/lower/specs.js';
import { wasmApi } from '../runtime/wasm/wasm-api.js';
import { printWasmModule } from '../targets/wasm/module.js';

interface Shape {
  readonly name: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly stride: number;
  readonly pad: number;
  readonly group?: number;
}

const SHAPES: readonly Shape[] = [
  { name: '64->64 3x3 56x56', x: [1, 64, 56, 56], w: [64, 64, 3, 3], stride: 1, pad: 1 },
  { name: '16->16 3x3 56x56', x: [1, 16, 56, 56], w: [16, 16, 3, 3], stride: 1, pad: 1 },
  { name: '128->128 3x3 28x28', x: [1, 128, 28, 28], w: [128, 128, 3, 3], stride: 1, pad: 1 },
  { name: '256->256 3x3 14x14', x: [1, 256, 14, 14], w: [256, 256, 3, 3], stride: 1, pad: 1 },
  { name: '512->512 3x3 7x7', x: [1, 512, 7, 7], w: [512, 512, 3, 3], stride: 1, pad: 1 },
  { name: '64->256 1x1 56x56', x: [1, 64, 56, 56], w: [256, 64, 1, 1], stride: 1, pad: 0 },
  { name: '64->128 3x3 s2 56x56', x: [1, 64, 56, 56], w: [128, 64, 3, 3], stride: 2, pad: 1 },
  { name: '3->64 7x7 s2 224x224', x: [1, 3, 224, 224], w: [64, 3, 7, 7], stride: 2, pad: 3 },
  { name: '8->8 3x3 32x32', x: [1, 8, 32, 32], w: [8, 8, 3, 3], stride: 1, pad: 1 },
  { name: '64->64 1-D k3 1000', x: [1, 64, 1000], w: [64, 64, 3], stride: 1, pad: 1 },
  { name: 'depthwise 64 3x3 56x56', x: [1, 64, 56, 56], w: [64, 1, 3, 3], stride: 1, pad: 1, group: 64 },
];

const argv = process.argv.slice(2);
const get = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const filter = get('--cases')?.split(',');
const runs = Number(get('--runs') ?? 40);
const schedule = get('--schedule') ?? 'auto';

function contiguous(value: string, shape: readonly number[]): StridedOperand {
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return { value, dtype: 'f32', offset: constDim(0), strides: strides.map((v) => constDim(v)) };
}

function specOf(shape: Shape): ConvSpec {
  const spatial = shape.x.length - 2;
  const out = [shape.x[0]!, shape.w[0]!, ...shape.x.slice(2).map((n, d) => Math.floor((n + 2 * shape.pad - shape.w[2 + d]!) / shape.stride) + 1)];
  return {
    name: 'conv_relu', sources: ['conv'],
    x: contiguous('x', shape.x), xShape: shape.x.map((d) => constDim(d)),
    w: contiguous('w', shape.w), wShape: shape.w.map((d) => constDim(d)),
    bias: contiguous('b', [shape.w[0]!]),
    attrs: {
      strides: new Array<number>(spatial).fill(shape.stride), pads: new Array<number>(2 * spatial).fill(shape.pad),
      dilations: new Array<number>(spatial).fill(1), group: shape.group ?? 1, hasBias: true,
    },
    out: { value: 'o', dtype: 'f32' }, outShape: out.map((d) => constDim(d)),
    epilogue: (_kb, acc: Expr) => max(acc, acc.type === 'f32' ? f32(0) : splat(f32(0), 4)),
    extraInputs: [],
  };
}

const api = wasmApi();
process.stdout.write(`conv shapes, 1 thread, CPU ms per call (median of ${runs}), schedule ${schedule}\n`);
for (const shape of SHAPES.filter((s) => !filter || filter.some((f) => s.name.includes(f)))) {
  const spec = specOf(shape);
  const lowered = schedule === 'panel' ? lowerConvPanel(spec, WASM_TARGET) : schedule === 'rows' ? lowerConvRows(spec, WASM_TARGET) : lowerConv(spec, WASM_TARGET);
  const artifact = printWasmModule([lowered.kernel]);
  const memory = new api.Memory({ initial: 1, maximum: 65536, shared: true });
  const instance = new api.Instance(new api.Module(artifact.binary), { env: { memory } });
  const elements: Record<string, number> = {
    x: shape.x.reduce((a, b) => a * b, 1), w: shape.w.reduce((a, b) => a * b, 1), b: shape.w[0]!,
    o: spec.outShape.reduce((a, d) => a * constValue(d)!, 1),
  };
  let at = 64;
  const offsets = lowered.kernel.buffers.map((buffer) => {
    const offset = at;
    at = Math.ceil((at + 4 * elements[lowered.buffers[buffer.name]!]! + 16) / 64) * 64;
    return offset;
  });
  const scratch = at;
  at += artifact.exports[0]!.scratchBytes + 64;
  memory.grow(Math.ceil(at / 65536));
  const floats = new Float32Array(memory.buffer);
  for (let i = 16; i < floats.length; i++) floats[i] = 0.5 * Math.sin(i);
  const items = constValue(lowered.grid[0]!)!;
  const run = instance.exports['conv_relu'] as (...args: number[]) => void;
  const times: number[] = [];
  for (let r = 0; r < runs + 30; r++) {
    const cpu = process.cpuUsage();
    run(...offsets, 0, items, scratch);
    const used = process.cpuUsage(cpu);
    if (r >= 30) times.push((used.user + used.system) / 1000);
  }
  const ms = [...times].sort((a, b) => a - b)[times.length >> 1]!;
  const flops = 2 * elements.o! * shape.w.slice(1).reduce((a, b) => a * b, 1);
  process.stdout.write(`${shape.name.padEnd(24)} ${ms.toFixed(3).padStart(9)} ms ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s  ${items} items\n`);
}
process.stdout.write(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
