// A user-facing problem found while converting one ONNX node. The importer catches it and
// reports a diagnostic that names the node and its op, then goes on with the next node.

import type { MessageCode } from '../../diagnostics/messages.js';
import type { Node } from '../../ir/node.js';

export class ConvertError extends Error {
  constructor(readonly code: MessageCode, ...args: (string | number)[]) {
    super(args.join(' '));
    this.args = args;
  }
  readonly args: (string | number)[];
  /**
   * For onnxNotConstant: the values that had to be known at import time, so the diagnostic can
   * name the graph inputs they come from.
   */
  from: readonly Node[] = [];
}
