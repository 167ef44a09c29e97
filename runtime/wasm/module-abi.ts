// The part of the WASM module ABI (targets/wasm/abi.ts, the printer's side of the contract)
// that the runtime needs. Copied rather than imported because the runtime ships inside
// generated packages without the compiler; test/runtime/wasm/module-abi.test.ts checks that
// both sides agree.
//
// Each kernel export takes (buffer byte offsets…, uniforms…, itemStart, itemEnd, scratch).

export const MEMORY_IMPORT = { module: 'env', name: 'memory' } as const;
export const MEMORY_MAXIMUM_PAGES = 65536;
export const WASM_PAGE_BYTES = 65536;
/** Alignment of each thread's scratch area. */
export const SCRATCH_ALIGN = 16;
