import { it } from 'vitest';
import { conv } from '../../compiler/interpret/kernels/conv.js';
import { pool } from '../../compiler/interpret/kernels/pool.js';
import { resize } from '../../compiler/interpret/kernels/resize.js';
import { randomTensor } from '../helpers/random.js';

it('perf', () => {
  const x = randomTensor('f32', [1, 64, 56, 56], 1), w = randomTensor('f32', [64, 64, 3, 3], 2);
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    conv(x, w, undefined, { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 });
    console.log('conv3x3 64ch 56x56', (performance.now() - t0).toFixed(0), 'ms');
  }
  let t0 = performance.now();
  pool(x, { kind: 'max', kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], ceilMode: false, countIncludePad: false, storageOrder: 0 });
  console.log('maxpool', (performance.now() - t0).toFixed(0), 'ms');
  t0 = performance.now();
  resize(x, [1, 64, 112, 112], { mode: 'linear', scales: [1, 1, 2, 2], coordinateTransformation: 'half_pixel', nearestMode: 'floor', cubicCoeffA: -0.75, excludeOutside: false, extrapolationValue: 0, antialias: false, roi: [0,0,0,0,1,1,1,1] });
  console.log('resize', (performance.now() - t0).toFixed(0), 'ms');
}, 60000);
