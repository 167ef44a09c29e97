// The one way lowering refuses a graph: an op (or a dtype) it has no kernel for on a target.
// Lowering throws LoweringError deep inside; lowerProgram turns it into a Diagnostic
// (SL4001) naming the op, so a model never silently computes something else.

import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';

export class LoweringError extends Error {
  constructor(readonly op: string, readonly detail = '') {
    super(`op '${op}' has no kernel lowering yet${detail}`);
    this.name = 'LoweringError';
  }
}

export function loweringDiagnostic(e: LoweringError, target: string, span?: Span): Diagnostic {
  return diag('noKernelLowering', span, e.op, target, e.detail);
}
