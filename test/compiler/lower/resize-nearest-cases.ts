// Nearest-mode resizes where f32 coordinate math picks the wrong pixel: every coordinate
// transform but tf_crop_and_resize, every nearest mode, up- and down-sampling by ratios whose
// coordinates land exactly on integers and halves (4→8, 7→16, 7→3, 4→1, 5→13).

import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import type { OpAttrs } from '../../../compiler/ir/node.js';

const TRANSFORMS = ['align_corners', 'asymmetric', 'half_pixel', 'pytorch_half_pixel', 'half_pixel_symmetric', 'tf_half_pixel_for_nn'] as const;
const MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
/** [input H, input W] → [output H, output W]. */
const SIZES: readonly (readonly [number, number, number, number])[] = [[4, 7, 8, 16], [7, 4, 3, 1], [5, 5, 13, 5]];

/** The number of resize outputs in the graph (one kernel each). */
export const NEAREST_RESIZES = TRANSFORMS.length * MODES.length * SIZES.length;

export function nearestResizeGraph(): Graph {
  const b = new GraphBuilder('M');
  const n = b.declareDim('N');
  const c = constDim;
  SIZES.forEach(([ih, iw, oh, ow], s) => {
    const x = b.input(`x${s}`, 'f32', [n, c(1), c(ih), c(iw)]);
    for (const t of TRANSFORMS) {
      for (const m of MODES) {
        const attrs: OpAttrs['resize'] = {
          mode: 'nearest', sizes: [n, c(1), c(oh), c(ow)], scales: [1, 1, oh / ih, ow / iw], coordinateTransformation: t,
          nearestMode: m, cubicCoeffA: -0.75, excludeOutside: false, extrapolationValue: 0, antialias: false, roi: [0, 0, 0, 0, 1, 1, 1, 1],
        };
        b.output(`${t}_${m}_${s}`, b.op('resize', [x], attrs));
      }
    }
  });
  const { graph, diagnostics } = b.finish();
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}
