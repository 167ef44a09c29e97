// Source ops: values that come from outside the computation. The interpreter binds them.

import { fail } from '../types.js';
import type { OpTable } from './op-info.js';

export const SOURCE_OPS = {
  input: { category: 'source', arity: [0, 0], infer: () => fail('badAttribute', 'inputs are made by GraphBuilder.input') },
  param: { category: 'source', arity: [0, 0], infer: () => fail('badAttribute', 'params are made by GraphBuilder.param') },
  constant: { category: 'source', arity: [0, 0], infer: () => fail('badAttribute', 'constants are made by GraphBuilder.constant') },
  error: { category: 'source', arity: [0, 0], infer: () => fail('badAttribute', 'poison is made by GraphBuilder') },
} satisfies Partial<OpTable>;
