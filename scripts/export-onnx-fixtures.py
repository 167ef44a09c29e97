#!/usr/bin/env python3
"""Exports the whole-model ONNX fixtures in test/fixtures/onnx/ with PyTorch's exporter.

test/oracle/onnxruntime.test.ts runs each of them with onnxruntime-node and with sluice on the
same seeded random inputs and compares every output. The models are written the way the
popular model code writes them (Hugging Face BERT, GPT-2 and Llama layers, torchvision's
BasicBlock, the PyTorch tutorial's LSTM tagger), so the files have the shapes real exports
have: shape arithmetic on dynamic dims, masks built from Range/Where, BN folded into Conv,
an ONNX LSTM with reordered gates. Sizes are small so each file stays well under 200 kB.

Run (Debian: apt-get install python3-torch python3-onnx; CI does not need them):

    /usr/bin/python3 scripts/export-onnx-fixtures.py

It prints each file's size and op histogram. Exports are deterministic for one torch version
(weights are seeded); another torch version may write a different but equivalent graph.
"""
import collections
import math
import os
import sys

import onnx
import torch
from torch import nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
OPSET = 17


def randomize_(module, seed):
    """Non-trivial values for every parameter and buffer (norm scales, BN statistics too)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(module.named_parameters()) + list(module.named_buffers()):
            if not p.is_floating_point() or name.endswith('inv_freq'):
                continue
            if name.endswith('running_var'):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            elif p.dim() == 1 and name.endswith('weight'):  # norm and BN scales
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:  # biases, BN means
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))


# --- BERT-style encoder layer (post-LN, padding mask, exact GELU) -------------------------

class BertSelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_size = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def transpose_for_scores(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_size))
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, extended_mask):
        q = self.transpose_for_scores(self.query(hidden_states))
        k = self.transpose_for_scores(self.key(hidden_states))
        v = self.transpose_for_scores(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        scores = scores + extended_mask
        probs = F.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size()[:-2] + (self.heads * self.head_size,))


class BertLayer(nn.Module):
    def __init__(self, hidden=32, heads=4, intermediate=128):
        super().__init__()
        self.attention = BertSelfAttention(hidden, heads)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, hidden_states, attention_mask):
        # As transformers' get_extended_attention_mask: 1 keeps a token, 0 pads it.
        extended = attention_mask[:, None, None, :].to(hidden_states.dtype)
        extended = (1.0 - extended) * torch.finfo(hidden_states.dtype).min
        a = self.attention(hidden_states, extended)
        h = self.attention_LayerNorm(self.attention_output(a) + hidden_states)
        m = self.output(F.gelu(self.intermediate(h)))
        return self.output_LayerNorm(m + h)


# --- GPT-2-style causal decoder block (pre-LN, Conv1D/addmm, tanh GELU) --------------------

class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored [in, out], applied with addmm on a 2-D view."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


def new_gelu(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Block(nn.Module):
    def __init__(self, hidden=32, heads=4, max_positions=32):
        super().__init__()
        self.heads, self.head_dim, self.split_size = heads, hidden // heads, hidden
        self.register_buffer('bias', torch.tril(torch.ones((max_positions, max_positions), dtype=torch.bool)).view(1, 1, max_positions, max_positions))
        self.ln_1 = nn.LayerNorm(hidden)
        self.c_attn = Conv1D(3 * hidden, hidden)
        self.c_proj = Conv1D(hidden, hidden)
        self.ln_2 = nn.LayerNorm(hidden)
        self.c_fc = Conv1D(4 * hidden, hidden)
        self.mlp_proj = Conv1D(hidden, 4 * hidden)

    def split_heads(self, t):
        t = t.view(t.size()[:-1] + (self.heads, self.head_dim))
        return t.permute(0, 2, 1, 3)

    def attn(self, hidden_states):
        query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
        query, key, value = self.split_heads(query), self.split_heads(key), self.split_heads(value)
        w = torch.matmul(query, key.transpose(-1, -2))
        w = w / torch.full([], value.size(-1) ** 0.5, dtype=w.dtype, device=w.device)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype, device=w.device)
        w = torch.where(causal_mask, w.to(w.dtype), mask_value)
        w = nn.functional.softmax(w, dim=-1)
        out = torch.matmul(w, value).permute(0, 2, 1, 3).contiguous()
        out = out.view(out.size()[:-2] + (self.heads * self.head_dim,))
        return self.c_proj(out)

    def forward(self, hidden_states):
        hidden_states = hidden_states + self.attn(self.ln_1(hidden_states))
        return hidden_states + self.mlp_proj(new_gelu(self.c_fc(self.ln_2(hidden_states))))


# --- Llama-style decode step: GQA, KV cache, rotary embeddings, RMSNorm, SwiGLU ---------------

class RMSNorm(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    b, kv, t, d = x.shape
    return x[:, :, None, :, :].expand(b, kv, n_rep, t, d).reshape(b, kv * n_rep, t, d)


class LlamaDecodeStep(nn.Module):
    def __init__(self, hidden=64, heads=4, kv_heads=2, intermediate=96, theta=10000.0):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.input_layernorm = RMSNorm(hidden)
        self.q_proj = nn.Linear(hidden, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, hidden, bias=False)
        self.post_attention_layernorm = RMSNorm(hidden)
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)
        inv_freq = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        self.register_buffer('inv_freq', inv_freq)

    def forward(self, hidden_states, position_ids, past_key, past_value):
        bsz, q_len, _ = hidden_states.size()
        residual = hidden_states
        h = self.input_layernorm(hidden_states)
        q = self.q_proj(h).view(bsz, q_len, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(bsz, q_len, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(bsz, q_len, self.kv_heads, self.head_dim).transpose(1, 2)

        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None, :, :], emb.sin()[:, None, :, :]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin

        key_states = torch.cat([past_key, k], dim=2)
        value_states = torch.cat([past_value, v], dim=2)
        n_rep = self.heads // self.kv_heads
        keys, values = repeat_kv(key_states, n_rep), repeat_kv(value_states, n_rep)

        scores = torch.matmul(q, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        past_len = past_key.shape[2]
        q_pos = torch.arange(q_len) + past_len
        k_pos = torch.arange(past_len + q_len)
        allowed = k_pos[None, :] <= q_pos[:, None]
        scores = scores.masked_fill(~allowed[None, None, :, :], torch.finfo(scores.dtype).min)
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, values).transpose(1, 2).reshape(bsz, q_len, -1)
        hidden_states = residual + self.o_proj(out)

        h = self.post_attention_layernorm(hidden_states)
        hidden_states = hidden_states + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))
        return hidden_states, key_states, value_states


# --- torchvision-style ResNet BasicBlock (eval mode: BN folds into Conv) ------------------

class BasicBlock(nn.Module):
    def __init__(self, planes=16):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


# --- LSTM tagger (the PyTorch tutorial's, batch-first) ------------------------------------

class LSTMTagger(nn.Module):
    def __init__(self, vocab=50, embedding_dim=32, hidden=32, tags=8):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden, batch_first=True)
        self.hidden2tag = nn.Linear(hidden, tags)

    def forward(self, input_ids):
        lstm_out, _ = self.lstm(self.word_embeddings(input_ids))
        return F.log_softmax(self.hidden2tag(lstm_out), dim=-1)


def export(name, model, args, input_names, output_names, dynamic_axes, seed):
    randomize_(model, seed)
    model.eval()
    path = os.path.join(OUT, f'{name}.onnx')
    with torch.no_grad():
        torch.onnx.export(model, args, path, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    hist = ', '.join(f'{op} {c}' for op, c in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])))
    print(f'{name}.onnx: {os.path.getsize(path)} bytes, {sum(ops.values())} nodes: {hist}')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    print(f'torch {torch.__version__}, onnx {onnx.__version__}, opset {OPSET}', file=sys.stderr)

    export('bert_encoder_layer', BertLayer(),
           (torch.randn(2, 7, 32), torch.ones(2, 7, dtype=torch.int64)),
           ['hidden_states', 'attention_mask'], ['last_hidden_state'],
           {'hidden_states': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence'},
            'last_hidden_state': {0: 'batch', 1: 'sequence'}}, seed=1)

    export('gpt2_decoder_block', GPT2Block(),
           (torch.randn(2, 7, 32),),
           ['hidden_states'], ['output'],
           {'hidden_states': {0: 'batch', 1: 'sequence'}, 'output': {0: 'batch', 1: 'sequence'}}, seed=2)

    export('llama_gqa_decode_step', LlamaDecodeStep(),
           (torch.randn(2, 1, 64), torch.full((2, 1), 6, dtype=torch.int64), torch.randn(2, 2, 6, 16), torch.randn(2, 2, 6, 16)),
           ['hidden_states', 'position_ids', 'past_key', 'past_value'], ['output', 'present_key', 'present_value'],
           {'hidden_states': {0: 'batch', 1: 'sequence'}, 'position_ids': {0: 'batch', 1: 'sequence'},
            'past_key': {0: 'batch', 2: 'past_sequence'}, 'past_value': {0: 'batch', 2: 'past_sequence'},
            'output': {0: 'batch', 1: 'sequence'}, 'present_key': {0: 'batch', 2: 'total_sequence'},
            'present_value': {0: 'batch', 2: 'total_sequence'}}, seed=3)

    export('resnet_basic_block', BasicBlock(),
           (torch.randn(1, 16, 8, 8),),
           ['input'], ['output'],
           {'input': {0: 'batch', 2: 'height', 3: 'width'}, 'output': {0: 'batch', 2: 'height', 3: 'width'}}, seed=4)

    export('lstm_tagger', LSTMTagger(),
           (torch.randint(0, 50, (2, 7)),),
           ['input_ids'], ['tag_scores'],
           {'input_ids': {0: 'batch', 1: 'sequence'}, 'tag_scores': {0: 'batch', 1: 'sequence'}}, seed=5)


if __name__ == '__main__':
    main()
