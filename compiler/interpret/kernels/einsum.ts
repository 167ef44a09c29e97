// General einsum (NumPy semantics; the equation grammar is in `ir/einsum.ts`): any number of
// operands, implicit and explicit outputs, repeated labels within an operand (diagonals),
// broadcast ellipses and size-1 axes. Every output element is the sum, over all values of the
// labels missing from the output, of the product of the operands' elements, computed in f64
// and rounded once on store (integers are exact below 2^53 and wrap on store).
//
// Each operand reads through per-label strides: a label repeated within the operand adds its
// axes' strides (so it walks the diagonal), and an axis of size 1 under a longer label gets
// stride 0 (broadcast). Two offset tables per operand, one over the output labels and one over
// the summed labels, turn the loop into additions.

import type { DType } from '../../ir/dtype.js';
import { parseEinsum } from '../../ir/einsum.js';
import { sizeOf, type Tensor } from '../tensor.js';
import { contiguousStrides, stridedOffsets } from './broadcast.js';
import { fromNumbers, readNumbers } from './storage.js';

export function einsum(equation: string, operands: readonly Tensor[], dtype: DType): Tensor {
  const plan = parseEinsum(equation, operands.map((t) => t.shape.length));
  if (typeof plan === 'string') throw new Error(plan);

  // The size of every label: the longest axis it names (size-1 axes broadcast).
  const size = new Map<string, number>();
  plan.operands.forEach((labels, k) =>
    labels.forEach((l, a) => {
      const d = operands[k]!.shape[a]!;
      const cur = size.get(l);
      if (cur === undefined || cur === 1) size.set(l, d);
      else if (d !== 1 && d !== cur) throw new Error(`einsum: label '${l}' has sizes ${cur} and ${d}`);
    }),
  );
  const outLabels = plan.output;
  const sumLabels = [...size.keys()].filter((l) => !outLabels.includes(l));
  const outShape = outLabels.map((l) => size.get(l)!);
  const sumShape = sumLabels.map((l) => size.get(l)!);

  const tables = operands.map((t, k) => {
    const axisStrides = contiguousStrides(t.shape);
    const stride = new Map<string, number>();
    plan.operands[k]!.forEach((l, a) => {
      if (t.shape[a] === 1 && size.get(l) !== 1) return; // broadcast: stays at index 0
      stride.set(l, (stride.get(l) ?? 0) + axisStrides[a]!);
    });
    const strides = (labels: readonly string[]): number[] => labels.map((l) => stride.get(l) ?? 0);
    return { values: readNumbers(t), out: stridedOffsets(outShape, strides(outLabels)), sum: stridedOffsets(sumShape, strides(sumLabels)) };
  });

  const outSize = sizeOf(outShape);
  const sumSize = sizeOf(sumShape);
  const acc = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let total = 0;
    for (let s = 0; s < sumSize; s++) {
      let product = 1;
      for (const t of tables) product *= t.values[t.out[o]! + t.sum[s]!]!;
      total += product;
    }
    acc[o] = total;
  }
  return fromNumbers(dtype, outShape, acc);
}
