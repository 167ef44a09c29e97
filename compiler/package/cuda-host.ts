// The host side of a CUDA package: model.h (a C API) and model.cu (its implementation), made
// from the manifest. The dispatch list, values, inputs, outputs and dims are baked in as C
// tables, so the library needs no JSON parser; manifest.json ships beside it for tools.
//
// Memory: four device allocations, as the memory plan's regions — weights (weights.bin,
// loaded once), state (zeroed when created or grown, and on reset), io and arena (grown as a
// call's dims need). With SLUICE_DEVICE pointers the kernels read inputs and write outputs in
// the caller's memory directly; with SLUICE_HOST the call copies through the io region on
// the caller's stream and synchronises it. Errors are codes with a message, never exit().

import { STATUS_VALUES_PER_SITE, STATUS_WORDS_PER_SITE, type Manifest, type ManifestDType, type ManifestErrorSite } from '../../runtime/manifest.js';
import { CudaDimTable } from './cuda-dims.js';

const REGION_INDEX = { weights: 0, state: 1, io: 2, arena: 3 } as const;

const cString = (s: string): string => JSON.stringify(s);

export function printModelHeader(m: Manifest): string {
  const ins = m.inputs.map((t) => `${t.name}: ${t.dtype}[${t.shape.map((d) => JSON.stringify(d)).join(', ')}]`);
  const outs = m.outputs.map((t) => `${t.name}: ${t.dtype}[${t.shape.map((d) => JSON.stringify(d)).join(', ')}]`);
  return `// model.h — the C API of the sluice model ${m.model} (CUDA).
//
// inputs:  ${ins.join('; ') || 'none'}
// outputs: ${outs.join('; ') || 'none'}
//
// Every function returns SLUICE_OK or an error code; sluice_model_error() says what went wrong.
// Inputs and outputs are dense, C-order arrays in the dtypes above, passed in the order above.
#ifndef SLUICE_MODEL_H
#define SLUICE_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sluice_model sluice_model;

typedef enum sluice_status {
  SLUICE_OK = 0,
  SLUICE_ERROR_ARGUMENT = 1, /* a null pointer, a bad index */
  SLUICE_ERROR_IO = 2,       /* the weights file cannot be read */
  SLUICE_ERROR_WEIGHTS = 3,  /* the weights file has the wrong size */
  SLUICE_ERROR_SHAPE = 4,    /* an input's shape does not fit the model */
  SLUICE_ERROR_MEMORY = 5,   /* host or device allocation failed */
  SLUICE_ERROR_CUDA = 6,     /* a CUDA call or kernel launch failed */
  SLUICE_ERROR_DATA = 7      /* an input's data is bad (a gather index out of range); the outputs are not valid */
} sluice_status;

/** Where the pointers given to sluice_model_run live. */
typedef enum sluice_memory { SLUICE_HOST = 0, SLUICE_DEVICE = 1 } sluice_memory;

/** Loads weights.bin onto the current device. On failure *model is NULL and sluice_model_error(NULL) says why. */
int sluice_model_create(const char* weights_path, sluice_model** model);
void sluice_model_destroy(sluice_model* model);
/** The last error of \`model\` (or of the last failed create on this thread, for NULL). */
const char* sluice_model_error(const sluice_model* model);

int sluice_model_num_inputs(void);
int sluice_model_num_outputs(void);
const char* sluice_model_input_name(int index);
const char* sluice_model_output_name(int index);
/** "f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8" or "bool" (one byte, 0 or 1). */
const char* sluice_model_input_dtype(int index);
const char* sluice_model_output_dtype(int index);
int sluice_model_input_rank(int index);
int sluice_model_output_rank(int index);
/** The shape output \`index\` has when the inputs have \`input_shapes\` (one array of rank entries per input). */
int sluice_model_output_shape(sluice_model* model, const int64_t* const* input_shapes, int index, int64_t* shape);

/**
 * Runs the model once on \`stream\` (a cudaStream_t; NULL for the default stream).
 * SLUICE_DEVICE: inputs and outputs are device pointers; the call only enqueues work.
 * SLUICE_HOST: they are host pointers; the call copies, runs, copies back and synchronises.
 * A model that checks its data (sluice_model_data_error) synchronises the stream in both modes.
 */
int sluice_model_run(sluice_model* model, const void* const* inputs, const int64_t* const* input_shapes,
                     void* const* outputs, sluice_memory memory, void* stream);

/**
 * After SLUICE_ERROR_DATA: which data check failed (its index in manifest.json's errors.sites)
 * and the numbers it wrote (2 of them; the bad index, ...). Returns -1 when the last run met no bad data.
 */
int sluice_model_data_error(const sluice_model* model, int64_t* values);

/** Zeroes the model's state (KV caches); a no-op for models without state. */
int sluice_model_reset_state(sluice_model* model);

#ifdef __cplusplus
}
#endif

#endif
`;
}

const DTYPE_BYTES: Readonly<Record<ManifestDType, number>> = {
  f64: 8, f32: 4, f16: 2, bf16: 2, i64: 8, i32: 4, i16: 2, i8: 1, u64: 8, u32: 4, u16: 2, u8: 1, bool: 1,
};

export function printModelSource(m: Manifest): string {
  const symbols = m.dims.map((d) => d.name);
  const dims = new CudaDimTable(symbols);
  const valueIndex = new Map(m.values.map((v, i) => [v.id, i] as const));
  const kernelIndex = new Map(m.kernels.map((k, i) => [k.name, i] as const));
  const out: string[] = [];
  const line = (s = ''): void => void out.push(s);

  // Tables first (they fill the dim table), then the code that reads them.
  const tables: string[] = [];
  const intArray = (name: string, xs: readonly number[]): string => {
    tables.push(`static const int ${name}[] = {${xs.length ? xs.join(', ') : '0'}};`);
    return name;
  };
  const regionBytes = [dims.slot(m.regions.weights), dims.slot(m.regions.state), dims.slot(m.regions.io), dims.slot(m.arena.bytes)];
  const values = m.values.map((v) => `{${REGION_INDEX[v.location.region]}, ${dims.slot(v.location.offset)}, ${dims.slot(v.bytes)}}`);
  const tensorRows = (list: Manifest['inputs'], prefix: string): string[] => list.map((t, i) => {
    const shape = intArray(`sl_${prefix}${i}_shape`, t.shape.map((d) => dims.slot(d)));
    return `{${cString(t.name)}, ${cString(t.dtype)}, ${valueIndex.get(t.value)}, ${DTYPE_BYTES[t.dtype]}, ${t.shape.length}, ${shape}}`;
  });
  const inputs = tensorRows(m.inputs, 'in');
  const outputs = tensorRows(m.outputs, 'out');
  const dispatches = m.dispatches.map((d, i) => {
    const k = m.kernels[kernelIndex.get(d.kernel)!]!;
    const buffers = intArray(`sl_d${i}_buffers`, k.buffers.map((b) => valueIndex.get(d.buffers[b.name]!)!));
    const uniforms = intArray(`sl_d${i}_uniforms`, k.uniforms.map((u) => dims.slot(d.uniforms[u.name]!)));
    const grid = intArray(`sl_d${i}_grid`, d.grid.map((g) => dims.slot(g)));
    return `{${kernelIndex.get(d.kernel)}, ${buffers}, ${uniforms}, ${grid}, ${d.grid.length}}`;
  });
  const bindings = m.dimBindings.map((b) => `{${symbols.indexOf(b.symbol)}, ${m.inputs.findIndex((t) => t.name === b.input)}, ${b.axis}}`);
  const defaults = m.dims.map((d) => (d.default === undefined ? -1 : d.default));
  const constraints = (m.constraints ?? []).map((c, i) => {
    const atLeastZero = intArray(`sl_c${i}_terms`, c.atLeastZero.map((d) => dims.slot(d)));
    return `{${cString(c.what)}, ${dims.slot(c.when)}, ${atLeastZero}, ${c.atLeastZero.length}}`;
  });

  line(`// model.cu — host code of the sluice model ${m.model} (CUDA). Generated; see model.h for the API.`);
  line('#include "model.h"');
  line('#include <stdarg.h>');
  line('#include <stdio.h>');
  line('#include <stdlib.h>');
  line('#include <string.h>');
  line('#ifndef SLUICE_CUDA_EMULATION');
  line('#include <cuda_runtime.h>');
  line('#endif');
  line('#include "kernels.cu"');
  line();
  line(dims.print());
  line();
  line(`#define SL_SYMBOLS ${symbols.length}`);
  line(`#define SL_INPUTS ${m.inputs.length}`);
  line(`#define SL_OUTPUTS ${m.outputs.length}`);
  line(`#define SL_VALUES ${m.values.length}`);
  line(`#define SL_DISPATCHES ${m.dispatches.length}`);
  line(`#define SL_BINDINGS ${m.dimBindings.length}`);
  line(`#define SL_WEIGHTS_BYTES ${m.regions.weights}LL`);
  line(`static const char* const sl_symbol_names[] = {${symbols.length ? symbols.map(cString).join(', ') : '""'}};`);
  line(`static const long long sl_symbol_defaults[] = {${defaults.length ? defaults.join(', ') : '0'}}; // -1: none`);
  line(`static const int sl_region_bytes[4] = {${regionBytes.join(', ')}}; // dim slots: weights, state, io, arena`);
  line('struct sl_value { int region, offset, bytes; }; // offset and bytes: dim slots');
  line(`static const sl_value sl_values[] = {${values.join(', ') || '{0, 0, 0}'}};`);
  for (const t of tables) line(t);
  line('struct sl_tensor { const char* name; const char* dtype; int value; int element_bytes; int rank; const int* shape; };');
  line(`static const sl_tensor sl_inputs[] = {${inputs.join(', ') || '{"", "", 0, 0, 0, nullptr}'}};`);
  line(`static const sl_tensor sl_outputs[] = {${outputs.join(', ') || '{"", "", 0, 0, 0, nullptr}'}};`);
  line('struct sl_dispatch { int kernel; const int* buffers; const int* uniforms; const int* grid; int grid_rank; };');
  line(`static const sl_dispatch sl_dispatches[] = {${dispatches.join(',\n  ') || '{0, nullptr, nullptr, nullptr, 0}'}};`);
  line('struct sl_binding { int symbol, input, axis; };');
  line(`static const sl_binding sl_bindings[] = {${bindings.join(', ') || '{0, 0, 0}'}};`);
  line(`#define SL_CONSTRAINTS ${constraints.length}`);
  line('struct sl_constraint { const char* what; int when; const int* at_least_zero; int count; }; // when > 0: each term >= 0');
  line(`static const sl_constraint sl_constraints[] = {${constraints.join(', ') || '{"", 0, nullptr, 0}'}};`);
  line(`static const int sl_state_region_used = ${m.state.length > 0 ? 1 : 0};`);
  const statusValue = m.errors ? valueIndex.get(m.errors.status)! : -1;
  line(`#define SL_STATUS_VALUE ${statusValue} // -1: the model checks no data`);
  line(`#define SL_ERROR_SITES ${m.errors?.sites.length ?? 0}`);
  line(`#define SL_STATUS_WORDS_PER_SITE ${STATUS_WORDS_PER_SITE}`);
  line(`#define SL_STATUS_VALUES_PER_SITE ${STATUS_VALUES_PER_SITE}`);
  line();
  line(HOST_CODE);
  line(dataMessageFunction(m.errors?.sites ?? [], dims));
  return out.join('\n');
}

/**
 * sl_data_message(m, site, values): the message of a failed data check, as the interpreter
 * words it (runtime/data-error.ts DataError), baked from the manifest's message templates.
 */
function dataMessageFunction(sites: readonly ManifestErrorSite[], dims: CudaDimTable): string {
  const cases = sites.map((site, i) => {
    const args: string[] = [];
    const detail = site.message.replace(/%/g, '%%').replace(/\{([vd])(\d+)\}/g, (_, kind: string, j: string) => {
      args.push(kind === 'v' ? `values[${Number(j)}]` : `m->dims[${dims.slot(site.dims[Number(j)]!)}]`);
      return '%lld';
    });
    const format = `${site.op} node '${site.node.replace(/%/g, '%%')}': ${detail} (SL${site.code})`;
    return `    case ${i}: return sl_fail(m, SLUICE_ERROR_DATA, ${cString(format)}${args.map((a) => `, ${a}`).join('')});`;
  });
  return [
    'static int sl_data_message(sluice_model* m, int site, const long long* values) {',
    '  (void)values;',
    '  switch (site) {',
    ...cases,
    '    default: return sl_fail(m, SLUICE_ERROR_DATA, "data check %d failed", site);',
    '  }',
    '}',
  ].join('\n');
}

/** The model-independent part of model.cu: it reads the tables above. */
const HOST_CODE = String.raw`struct sluice_model {
  void* region[4];
  long long capacity[4];
  long long dims[SL_DIM_SLOTS];
  char error[512];
  int data_site; // the failed data check of the last run, or -1
  long long data_values[SL_STATUS_VALUES_PER_SITE];
};

static thread_local char sl_create_error[512];

static int sl_fail(sluice_model* m, int code, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(m ? m->error : sl_create_error, 512, format, args);
  va_end(args);
  return code;
}

static int sl_cuda(sluice_model* m, cudaError_t e, const char* what) {
  if (e == cudaSuccess) return SLUICE_OK;
  return sl_fail(m, SLUICE_ERROR_CUDA, "%s: %s", what, cudaGetErrorString(e));
}

extern "C" const char* sluice_model_error(const sluice_model* m) { return m ? m->error : sl_create_error; }
extern "C" int sluice_model_data_error(const sluice_model* m, int64_t* values) {
  if (!m || m->data_site < 0) return -1;
  if (values) for (int j = 0; j < SL_STATUS_VALUES_PER_SITE; j++) values[j] = m->data_values[j];
  return m->data_site;
}
extern "C" int sluice_model_num_inputs(void) { return SL_INPUTS; }
extern "C" int sluice_model_num_outputs(void) { return SL_OUTPUTS; }
extern "C" const char* sluice_model_input_name(int i) { return i >= 0 && i < SL_INPUTS ? sl_inputs[i].name : nullptr; }
extern "C" const char* sluice_model_output_name(int i) { return i >= 0 && i < SL_OUTPUTS ? sl_outputs[i].name : nullptr; }
extern "C" const char* sluice_model_input_dtype(int i) { return i >= 0 && i < SL_INPUTS ? sl_inputs[i].dtype : nullptr; }
extern "C" const char* sluice_model_output_dtype(int i) { return i >= 0 && i < SL_OUTPUTS ? sl_outputs[i].dtype : nullptr; }
extern "C" int sluice_model_input_rank(int i) { return i >= 0 && i < SL_INPUTS ? sl_inputs[i].rank : -1; }
extern "C" int sluice_model_output_rank(int i) { return i >= 0 && i < SL_OUTPUTS ? sl_outputs[i].rank : -1; }

extern "C" int sluice_model_create(const char* path, sluice_model** out) {
  if (!out) return sl_fail(nullptr, SLUICE_ERROR_ARGUMENT, "sluice_model_create: model is NULL");
  *out = nullptr;
  if (!path) return sl_fail(nullptr, SLUICE_ERROR_ARGUMENT, "sluice_model_create: weights_path is NULL");
  sluice_model* m = (sluice_model*)calloc(1, sizeof(sluice_model));
  if (!m) return sl_fail(nullptr, SLUICE_ERROR_MEMORY, "out of host memory");
  FILE* f = fopen(path, "rb");
  if (!f) { free(m); return sl_fail(nullptr, SLUICE_ERROR_IO, "cannot open weights file %s", path); }
  fseek(f, 0, SEEK_END);
  long long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (size != SL_WEIGHTS_BYTES) {
    fclose(f);
    free(m);
    return sl_fail(nullptr, SLUICE_ERROR_WEIGHTS, "weights file %s has %lld bytes; this model needs %lld", path, size, SL_WEIGHTS_BYTES);
  }
  void* host = malloc(size > 0 ? (size_t)size : 1);
  if (!host) { fclose(f); free(m); return sl_fail(nullptr, SLUICE_ERROR_MEMORY, "out of host memory reading %s", path); }
  size_t got = size > 0 ? fread(host, 1, (size_t)size, f) : 0;
  fclose(f);
  if ((long long)got != size) { free(host); free(m); return sl_fail(nullptr, SLUICE_ERROR_IO, "cannot read weights file %s", path); }
  cudaError_t e = cudaMalloc(&m->region[0], size > 0 ? (size_t)size : 1);
  if (e == cudaSuccess) e = cudaMemcpy(m->region[0], host, (size_t)size, cudaMemcpyHostToDevice);
  free(host);
  if (e != cudaSuccess) {
    if (m->region[0]) cudaFree(m->region[0]);
    free(m);
    return sl_fail(nullptr, SLUICE_ERROR_CUDA, "loading weights: %s", cudaGetErrorString(e));
  }
  m->capacity[0] = size;
  m->data_site = -1;
  *out = m;
  return SLUICE_OK;
}

extern "C" void sluice_model_destroy(sluice_model* m) {
  if (!m) return;
  for (int r = 0; r < 4; r++) if (m->region[r]) cudaFree(m->region[r]);
  free(m);
}

/** Binds the symbols from the input shapes (or defaults), evaluates every dim and checks the inputs' shapes. */
static int sl_bind(sluice_model* m, const int64_t* const* shapes) {
  long long s[SL_SYMBOLS > 0 ? SL_SYMBOLS : 1];
  int from[SL_SYMBOLS > 0 ? SL_SYMBOLS : 1];
  for (int i = 0; i < SL_SYMBOLS; i++) { s[i] = -1; from[i] = -1; }
  if (SL_INPUTS > 0 && !shapes) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "input_shapes is NULL");
  for (int i = 0; i < SL_INPUTS; i++) if (!shapes[i] && sl_inputs[i].rank > 0) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "the shape of input %s is NULL", sl_inputs[i].name);
  for (int b = 0; b < SL_BINDINGS; b++) {
    const sl_binding& k = sl_bindings[b];
    long long v = shapes[k.input][k.axis];
    if (s[k.symbol] >= 0 && s[k.symbol] != v) {
      return sl_fail(m, SLUICE_ERROR_SHAPE, "dimension %s is %lld in input %s but %lld in input %s",
                     sl_symbol_names[k.symbol], s[k.symbol], sl_inputs[from[k.symbol]].name, v, sl_inputs[k.input].name);
    }
    s[k.symbol] = v;
    from[k.symbol] = k.input;
  }
  for (int i = 0; i < SL_SYMBOLS; i++) {
    if (s[i] < 0) s[i] = sl_symbol_defaults[i];
    if (s[i] < 0) return sl_fail(m, SLUICE_ERROR_SHAPE, "dimension %s is bound by no input and has no default", sl_symbol_names[i]);
  }
  int bad = 0;
  sl_eval_dims(s, m->dims, &bad);
  if (bad) return sl_fail(m, SLUICE_ERROR_SHAPE, "the inputs' shapes give a size that is not whole (a dim that must divide another does not)");
  for (int c = 0; c < SL_CONSTRAINTS; c++) {
    const sl_constraint& k = sl_constraints[c];
    if (m->dims[k.when] <= 0) continue;
    for (int t = 0; t < k.count; t++) {
      if (m->dims[k.at_least_zero[t]] < 0) return sl_fail(m, SLUICE_ERROR_SHAPE, "the inputs' shapes break a condition of the model: %s", k.what);
    }
  }
  for (int i = 0; i < SL_INPUTS; i++) {
    for (int a = 0; a < sl_inputs[i].rank; a++) {
      long long want = m->dims[sl_inputs[i].shape[a]];
      if (shapes[i][a] != want) {
        return sl_fail(m, SLUICE_ERROR_SHAPE, "input %s: axis %d is %lld, expected %lld", sl_inputs[i].name, a, (long long)shapes[i][a], want);
      }
    }
  }
  return SLUICE_OK;
}

extern "C" int sluice_model_output_shape(sluice_model* m, const int64_t* const* shapes, int index, int64_t* shape) {
  if (!m) return SLUICE_ERROR_ARGUMENT;
  if (index < 0 || index >= SL_OUTPUTS || (!shape && sl_outputs[index].rank > 0)) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "sluice_model_output_shape: bad output index %d or NULL shape", index);
  int status = sl_bind(m, shapes);
  if (status != SLUICE_OK) return status;
  for (int a = 0; a < sl_outputs[index].rank; a++) shape[a] = m->dims[sl_outputs[index].shape[a]];
  return SLUICE_OK;
}

/** Grows region r to at least \`bytes\`; a grown state region starts zeroed. */
static int sl_reserve(sluice_model* m, int r, long long bytes) {
  if (bytes <= m->capacity[r] && m->region[r]) return SLUICE_OK;
  if (m->region[r]) cudaFree(m->region[r]);
  m->region[r] = nullptr;
  m->capacity[r] = 0;
  cudaError_t e = cudaMalloc(&m->region[r], bytes > 0 ? (size_t)bytes : 16);
  if (e != cudaSuccess) {
    m->region[r] = nullptr;
    return sl_fail(m, SLUICE_ERROR_MEMORY, "cannot allocate %lld bytes of device memory: %s", bytes, cudaGetErrorString(e));
  }
  m->capacity[r] = bytes;
  if (r == 1) return sl_cuda(m, cudaMemset(m->region[r], 0, bytes > 0 ? (size_t)bytes : 16), "zeroing state");
  return SLUICE_OK;
}

extern "C" int sluice_model_reset_state(sluice_model* m) {
  if (!m) return SLUICE_ERROR_ARGUMENT;
  if (!m->region[1]) return SLUICE_OK;
  return sl_cuda(m, cudaMemset(m->region[1], 0, (size_t)m->capacity[1]), "zeroing state");
}

static int sl_data_message(sluice_model* m, int site, const long long* values);

extern "C" int sluice_model_run(sluice_model* m, const void* const* inputs, const int64_t* const* shapes,
                                void* const* outputs, sluice_memory memory, void* stream_ptr) {
  if (!m) return SLUICE_ERROR_ARGUMENT;
  if ((SL_INPUTS > 0 && !inputs) || (SL_OUTPUTS > 0 && !outputs)) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "inputs or outputs is NULL");
  if (memory != SLUICE_HOST && memory != SLUICE_DEVICE) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "memory must be SLUICE_HOST or SLUICE_DEVICE");
  cudaStream_t stream = (cudaStream_t)stream_ptr;
  int status = sl_bind(m, shapes);
  if (status != SLUICE_OK) return status;
  for (int r = 1; r < 4; r++) {
    if (r == 1 && !sl_state_region_used) continue;
    status = sl_reserve(m, r, m->dims[sl_region_bytes[r]]);
    if (status != SLUICE_OK) return status;
  }
  // Where every value lives for this call.
  char* at[SL_VALUES > 0 ? SL_VALUES : 1];
  for (int v = 0; v < SL_VALUES; v++) at[v] = (char*)m->region[sl_values[v].region] + m->dims[sl_values[v].offset];
  for (int i = 0; i < SL_INPUTS; i++) {
    const sl_tensor& t = sl_inputs[i];
    long long bytes = m->dims[sl_values[t.value].bytes];
    if (bytes > 0 && !inputs[i]) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "input %s is NULL", t.name);
    if (memory == SLUICE_DEVICE) at[t.value] = (char*)inputs[i];
    else if (bytes > 0) {
      status = sl_cuda(m, cudaMemcpyAsync(at[t.value], inputs[i], (size_t)bytes, cudaMemcpyHostToDevice, stream), t.name);
      if (status != SLUICE_OK) return status;
    }
  }
  if (memory == SLUICE_DEVICE) {
    for (int i = 0; i < SL_OUTPUTS; i++) if (outputs[i]) at[sl_outputs[i].value] = (char*)outputs[i];
  }
  m->data_site = -1;
  // Kernels only ever set status words (on bad data), so they are cleared before each run.
  if (SL_STATUS_VALUE >= 0) {
    status = sl_cuda(m, cudaMemsetAsync(at[SL_STATUS_VALUE], 0, (size_t)SL_ERROR_SITES * SL_STATUS_WORDS_PER_SITE * 4, stream), "zeroing the status words");
    if (status != SLUICE_OK) return status;
  }
  for (int d = 0; d < SL_DISPATCHES; d++) {
    const sl_dispatch& x = sl_dispatches[d];
    const sl_kernel_entry& k = sl_kernels[x.kernel];
    void* buffers[64];
    int uniforms[64];
    if (k.buffers > 64 || k.uniforms > 64) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "kernel %s has too many parameters", k.name);
    for (int b = 0; b < k.buffers; b++) buffers[b] = at[x.buffers[b]];
    for (int u = 0; u < k.uniforms; u++) {
      long long v = m->dims[x.uniforms[u]];
      if (v < -2147483648LL || v > 2147483647LL) return sl_fail(m, SLUICE_ERROR_SHAPE, "kernel %s: a size (%lld) does not fit in 32 bits", k.name, v);
      uniforms[u] = (int)v;
    }
    long long items = 1;
    for (int g = 0; g < x.grid_rank; g++) items *= m->dims[x.grid[g]];
    cudaError_t e = k.launch(buffers, uniforms, items, stream);
    if (e != cudaSuccess) return sl_fail(m, SLUICE_ERROR_CUDA, "kernel %s (dispatch %d): %s", k.name, d, cudaGetErrorString(e));
  }
  if (SL_STATUS_VALUE >= 0) {
    // A flagged data check means the outputs hold clamped, wrong answers: refuse them.
    int words[SL_ERROR_SITES > 0 ? SL_ERROR_SITES * SL_STATUS_WORDS_PER_SITE : 1];
    status = sl_cuda(m, cudaMemcpyAsync(words, at[SL_STATUS_VALUE], sizeof(words), cudaMemcpyDeviceToHost, stream), "reading the status words");
    if (status == SLUICE_OK) status = sl_cuda(m, cudaStreamSynchronize(stream), "running the model");
    if (status != SLUICE_OK) return status;
    for (int site = 0; site < SL_ERROR_SITES; site++) {
      const int* w = words + site * SL_STATUS_WORDS_PER_SITE;
      if (w[0] == 0) continue;
      for (int j = 0; j < SL_STATUS_VALUES_PER_SITE; j++) {
        m->data_values[j] = (long long)(((unsigned long long)(unsigned)w[2 + 2 * j] << 32) | (unsigned)w[1 + 2 * j]);
      }
      m->data_site = site;
      return sl_data_message(m, site, m->data_values);
    }
  }
  if (memory == SLUICE_HOST) {
    for (int i = 0; i < SL_OUTPUTS; i++) {
      const sl_tensor& t = sl_outputs[i];
      long long bytes = m->dims[sl_values[t.value].bytes];
      if (bytes > 0 && !outputs[i]) return sl_fail(m, SLUICE_ERROR_ARGUMENT, "output %s is NULL", t.name);
      if (bytes > 0) {
        status = sl_cuda(m, cudaMemcpyAsync(outputs[i], at[t.value], (size_t)bytes, cudaMemcpyDeviceToHost, stream), t.name);
        if (status != SLUICE_OK) return status;
      }
    }
    return sl_cuda(m, cudaStreamSynchronize(stream), "running the model");
  }
  return SLUICE_OK;
}
`;
