// The runtime's copy of the module ABI agrees with the printer's (targets/wasm/abi.ts).

import { expect, it } from 'vitest';
import * as printer from '../../../targets/wasm/abi.js';
import * as runtime from '../../../runtime/wasm/module-abi.js';

it('agrees with targets/wasm/abi.ts', () => {
  expect(runtime.MEMORY_IMPORT).toEqual(printer.MEMORY_IMPORT);
  expect(runtime.MEMORY_MAXIMUM_PAGES).toBe(printer.MEMORY_MAXIMUM_PAGES);
  expect(runtime.WASM_PAGE_BYTES).toBe(printer.WASM_PAGE_BYTES);
  expect(runtime.SCRATCH_ALIGN).toBe(printer.SCRATCH_ALIGN);
  // Trailing parameters: itemStart, itemEnd, scratch after buffers and uniforms.
  expect(printer.kernelParamLayout(2, 1)).toEqual({ itemStart: 3, itemEnd: 4, scratch: 5, count: 6 });
});
