// 16-bit float storage: f16 and bf16 bits ↔ f32, rounding to nearest even, written as
// binaryen functions the printer calls (added to the module on first use). f16 values are
// computed in f32 and rounded back to f16 after every operation (`roundF16`), so f16 kernel
// code gives the numbers the Kernel IR interpreter gives.

import binaryen from 'binaryen';
import { FunctionBuilder, type Ref } from './function-builder.js';

const F16_TO_F32 = 'half$f16_to_f32';
const F32_TO_F16 = 'half$f32_to_f16';
const ROUND_F16 = 'half$round_f16';
const F32_TO_BF16 = 'half$f32_to_bf16';

export class HalfLibrary {
  private readonly added = new Set<string>();

  constructor(private readonly m: binaryen.Module) {}

  /** f16 bits (low 16 bits of an i32) → f32. */
  f16ToF32(bits: Ref): Ref {
    this.ensure(F16_TO_F32, () => this.buildF16ToF32());
    return this.m.call(F16_TO_F32, [bits], binaryen.f32);
  }

  /** f32 → f16 bits (in an i32), rounding to nearest even; NaN → 0x7e00 with the sign. */
  f32ToF16(value: Ref): Ref {
    this.ensure(F32_TO_F16, () => this.buildF32ToF16());
    return this.m.call(F32_TO_F16, [value], binaryen.i32);
  }

  /** The f32 nearest to `value` that f16 can hold (overflow → ±inf). */
  roundF16(value: Ref): Ref {
    this.ensure(ROUND_F16, () => {
      const fb = new FunctionBuilder(this.m, [binaryen.f32]);
      fb.finish(ROUND_F16, binaryen.f32, this.f16ToF32(this.f32ToF16(fb.get(0))));
    });
    return this.m.call(ROUND_F16, [value], binaryen.f32);
  }

  /** bf16 bits → f32: the bits are the top half of an f32. */
  bf16ToF32(bits: Ref): Ref {
    return this.m.f32.reinterpret(this.m.i32.shl(bits, this.m.i32.const(16)));
  }

  /** f32 → bf16 bits, rounding to nearest even; NaN stays a (quiet) NaN. */
  f32ToBf16(value: Ref): Ref {
    this.ensure(F32_TO_BF16, () => {
      const m = this.m;
      const fb = new FunctionBuilder(m, [binaryen.f32]);
      const bits = fb.let(binaryen.i32, m.i32.reinterpret(fb.get(0)));
      const lsb = m.i32.and(m.i32.shr_u(fb.get(bits), m.i32.const(16)), m.i32.const(1));
      const rounded = m.i32.shr_u(m.i32.add(m.i32.add(fb.get(bits), m.i32.const(0x7fff)), lsb), m.i32.const(16));
      const quietNan = m.i32.or(m.i32.shr_u(fb.get(bits), m.i32.const(16)), m.i32.const(0x40));
      const isNan = m.f32.ne(fb.get(0), fb.get(0));
      fb.finish(F32_TO_BF16, binaryen.i32, m.select(isNan, quietNan, rounded));
    });
    return this.m.call(F32_TO_BF16, [value], binaryen.i32);
  }

  private ensure(name: string, build: () => void): void {
    if (this.added.has(name)) return;
    this.added.add(name);
    build();
  }

  // Exponent rebias and the subnormal trick of F. Giesen's half_to_float: a subnormal is
  // rebuilt as a normal f32 and the implicit bit subtracted as a float.
  private buildF16ToF32(): void {
    const m = this.m;
    const fb = new FunctionBuilder(m, [binaryen.i32]);
    const h = fb.get.bind(fb, 0);
    const shifted = fb.let(binaryen.i32, m.i32.shl(m.i32.and(h(), m.i32.const(0x7fff)), m.i32.const(13)));
    const exp = fb.let(binaryen.i32, m.i32.and(fb.get(shifted), m.i32.const(0x7c00 << 13)));
    const out = fb.let(binaryen.i32, m.i32.add(fb.get(shifted), m.i32.const((127 - 15) << 23)));
    const infNan = m.local.set(out, m.i32.add(fb.get(out), m.i32.const((128 - 16) << 23)));
    const magic = 113 << 23;
    const subnormal = m.local.set(out, m.i32.reinterpret(m.f32.sub(
      m.f32.reinterpret(m.i32.add(fb.get(out), m.i32.const(1 << 23))),
      m.f32.reinterpret(m.i32.const(magic)),
    )));
    fb.emit(m.if(m.i32.eq(fb.get(exp), m.i32.const(0x7c00 << 13)), infNan,
      m.if(m.i32.eqz(fb.get(exp)), subnormal)));
    const sign = m.i32.shl(m.i32.and(h(), m.i32.const(0x8000)), m.i32.const(16));
    fb.finish(F16_TO_F32, binaryen.f32, m.f32.reinterpret(m.i32.or(fb.get(out), sign)));
  }

  // Giesen's float_to_half_fast3_rtne: subnormal results come from one float addition (which
  // rounds to nearest even by itself), normal ones from integer rounding of the mantissa.
  private buildF32ToF16(): void {
    const m = this.m;
    const fb = new FunctionBuilder(m, [binaryen.f32]);
    const bits = fb.let(binaryen.i32, m.i32.reinterpret(fb.get(0)));
    const sign = fb.let(binaryen.i32, m.i32.and(fb.get(bits), m.i32.const(0x80000000 | 0)));
    const abs = fb.let(binaryen.i32, m.i32.xor(fb.get(bits), fb.get(sign)));
    const out = fb.local(binaryen.i32);
    const F32_INF = 255 << 23;
    const F16_OVERFLOW = (127 + 16) << 23; // 65536: rounds to inf at least
    const DENORM_MAGIC = ((127 - 15) + (23 - 10) + 1) << 23;
    const overflow = m.local.set(out, m.select(m.i32.gt_u(fb.get(abs), m.i32.const(F32_INF)), m.i32.const(0x7e00), m.i32.const(0x7c00)));
    const subnormal = m.local.set(out, m.i32.sub(
      m.i32.reinterpret(m.f32.add(m.f32.reinterpret(fb.get(abs)), m.f32.reinterpret(m.i32.const(DENORM_MAGIC)))),
      m.i32.const(DENORM_MAGIC),
    ));
    const mantOdd = m.i32.and(m.i32.shr_u(fb.get(abs), m.i32.const(13)), m.i32.const(1));
    const normal = m.local.set(out, m.i32.shr_u(
      m.i32.add(m.i32.add(fb.get(abs), m.i32.const(((15 - 127) << 23) + 0xfff)), mantOdd),
      m.i32.const(13),
    ));
    fb.emit(m.if(m.i32.ge_u(fb.get(abs), m.i32.const(F16_OVERFLOW)), overflow,
      m.if(m.i32.lt_u(fb.get(abs), m.i32.const(113 << 23)), subnormal, normal)));
    fb.finish(F32_TO_F16, binaryen.i32, m.i32.or(fb.get(out), m.i32.shr_u(fb.get(sign), m.i32.const(16))));
  }
}
