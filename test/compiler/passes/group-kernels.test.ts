import { describe, expect, it } from 'vitest';
import { parse } from '../../../compiler/driver/load-model.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { groupKernels, printGroups, type KernelGroup } from '../../../compiler/passes/group-kernels.js';

function graphOf(source: string): Graph {
  const { graph, diagnostics } = parse(source);
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

function summary(groups: readonly KernelGroup[]): string[] {
  return groups.map((g) => `${g.kind}:${g.nodes.map((n) => n.op).join(',')}`);
}

describe('group-kernels', () => {
  it('makes softmax one reduction kernel with its prologue and epilogue', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 16]
      output y = softmax(x * 0.5) * 3.0
    }`);
    expect(summary(groupKernels(g))).toEqual(['reduction:mul,softmax,mul']);
    expect(groupKernels(g)[0]!.anchor!.op).toBe('softmax');
  });

  it('makes layer norm and RMS norm one kernel each', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 16]
      input s: f32[16]
      output y = rmsnorm(layernorm(x, s), s)
    }`);
    const groups = groupKernels(g);
    expect(summary(groups)).toEqual(['reduction:layer_norm', 'reduction:rms_norm']);
    expect(groups[1]!.inputs.map((n) => n.op)).toEqual(['input', 'layer_norm']);
  });

  it('fuses a tanh-GELU chain written out into one elementwise kernel', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 16]
      output y = 0.5 * x * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))
    }`);
    const groups = groupKernels(g);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.kind).toBe('elementwise');
    expect(groups[0]!.inputs.map((n) => n.op)).toEqual(['input']);
  });

  it('fuses matmul with its bias, activation and residual', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 16]
      param w: f32[16, 16]
      param b: f32[16]
      output y = relu(x @ w + b) + x
    }`);
    const groups = groupKernels(g);
    expect(summary(groups)).toEqual(['matmul:matmul,add,relu,add']);
    expect(groups[0]!.name).toBe('matmul_add_relu');
  });

  it('fuses an epilogue that reads the product twice when its readers meet again (erf GELU)', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 16]
      param w: f32[16, 8]
      param b: f32[8]
      let h = x @ w + b
      output y = h * (erf(h / 1.4142135) + 1.0) * 0.5
    }`);
    expect(summary(groupKernels(g))).toEqual(['matmul:matmul,add,div,erf,add,mul,mul']);
  });

  it('keeps a product read twice materialised when its readers do not meet, or one is an output', () => {
    const apart = graphOf(`model M(N) {
      input x: f32[N, 16]
      param w: f32[16, 8]
      let h = x @ w
      output a = exp(h)
      output b = h * 2.0
    }`);
    expect(summary(groupKernels(apart))).toEqual(['matmul:matmul', 'elementwise:exp', 'elementwise:mul']);
    const sideOutput = graphOf(`model M(N) {
      input x: f32[N, 16]
      param w: f32[16, 8]
      let h = x @ w
      let e = exp(h)
      output s = e
      output y = h + e
    }`);
    expect(summary(groupKernels(sideOutput))).toEqual(['matmul:matmul', 'elementwise:exp', 'elementwise:add']);
    const reshaped = graphOf(`model M(N) {
      input x: f32[N, 16]
      param w: f32[16, 8]
      let h = x @ w
      output y = h + reshape(exp(h), [N, 8])
    }`);
    expect(groupKernels(reshaped).length).toBeGreaterThan(1);
  });

  it('lets an op that reads two products join one of their kernels only (SwiGLU, a sum of products)', () => {
    for (const body of ['gate * sigmoid(gate) * (x @ wu)', '(x @ wu) * gate * sigmoid(gate)', 'gate + x @ wu']) {
      const g = graphOf(`model M(N) {
        input x: f32[N, 16]
        param wg: f32[16, 8]
        param wu: f32[16, 8]
        let gate = x @ wg
        output y = ${body}
      }`);
      const groups = groupKernels(g);
      expect(groups.filter((k) => k.kind === 'matmul'), body).toHaveLength(2);
      for (const k of groups) expect(k.nodes.filter((n) => n.op === 'matmul'), body).toHaveLength(1);
    }
  });

  it('keeps views inside their readers and materialises values read twice', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 4, 6]
      let e = exp(x)
      output a = transpose(e, perm: [0, 2, 1]) + 1.0
      output b = sum(e, axes: [2])
    }`);
    const groups = groupKernels(g);
    expect(summary(groups)).toEqual(['elementwise:exp', 'elementwise:transpose,add', 'reduction:reduce_sum']);
    expect(printGroups(groups)).toContain('kernel exp (elementwise)');
  });

  it('gives matmul strided operands: a transpose is free, an elementwise operand is materialised', () => {
    const g = graphOf(`model M(N) {
      input x: f32[16, N]
      param w: f32[16, 8]
      output y = x.T @ exp(w)
    }`);
    expect(summary(groupKernels(g))).toEqual(['elementwise:exp', 'matmul:transpose,matmul']);
  });

  it('names kernels uniquely', () => {
    const g = graphOf(`model M(N) {
      input x: f32[N, 4]
      output a = softmax(x)
      output b = softmax(x * 2.0)
    }`);
    expect(groupKernels(g).map((k) => k.name)).toEqual(['softmax', 'mul_softmax']);
    const h = graphOf(`model M(N) {
      input x: f32[N, 4]
      output a = softmax(x)
      output b = softmax(x.T)
    }`);
    expect(groupKernels(h).map((k) => k.name)).toEqual(['softmax', 'softmax_1']);
  });
});

describe('group-kernels as an inspect stage', () => {
  it('is listed after the graph passes and sees the graph after all of them', async () => {
    const { passNames, lastGraphPass, graphPasses, runPasses } = await import('../../../compiler/passes/pipeline.js');
    expect(passNames().slice(-2)).toEqual([lastGraphPass(), 'group-kernels']);
    const g = graphOf(`model M(N) {
      input x: f32[N, 4]
      output y = softmax(x * 1.0)
    }`);
    const after = runPasses(g, graphPasses(), { stopAfter: 'group-kernels' }).graph;
    // simplify removed the `* 1.0`, so softmax is the whole kernel.
    expect(printGroups(groupKernels(after))).toMatch(/^kernel softmax \(reduction\)/);
  });
});
