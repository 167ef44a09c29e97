// WGSL helper functions for what WGSL lacks or leaves loose, emitted into a module only when
// a kernel calls them (the `sl_` prefix keeps them apart from IR names):
// - log: NaN below 0 and −Inf at 0, which WGSL leaves undefined;
// - erf (WGSL has none): Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7;
// - tanh: the builtin may overflow to NaN for large |x| on some drivers, so exp(−2|x|) with a
//   Taylor series near 0 where 1 − e^(−2|x|) would cancel;
// - pow: WGSL's pow is undefined for x < 0 and x = 0, y = 0; C's pow is meant (integer
//   exponents of negative bases, pow(x, 0) = 1); integer pow by binary powering;
// - shifts take the amount as u32 in WGSL;
// - NaN and ±Inf cannot be WGSL constants (a const-expression may not be NaN or infinite),
//   so they come from bit patterns held in private variables;
// - rounding an f32 to bf16 / f16 precision for stores into those dtypes;
// - float max/min: WGSL leaves a NaN operand's result to the implementation (SwiftShader
//   drops it); the IR propagates NaN, tested on the bits (a compiler may fold `x != x`).

export type HelperName =
  | 'erf' | 'tanh' | 'log' | 'pow' | 'ipow' | 'shl' | 'shr' | 'nan' | 'inf' | 'isnan' | 'round_bf16' | 'round_f16' | 'max' | 'min';

/** The suffix naming a helper's variant for a WGSL type (`f32`, `vec4f32`). */
export function typeTag(type: string): string {
  return type.replace(/[<>]/g, '');
}

/**
 * WGSL source of a helper for WGSL type `type` (`f32`, `vec4<f16>`; integer helpers ignore
 * it) with element type `elem`. Float helpers are branch-free (select), so one text serves
 * scalars and vectors.
 */
export function helperSource(name: HelperName, type: string, elem: string): string {
  const tag = typeTag(type);
  const T = type;
  switch (name) {
    case 'erf': return `fn sl_erf_${tag}(x: ${T}) -> ${T} {
  let a = abs(x);
  let t = ${T}(1.0) / (${T}(1.0) + ${T}(0.3275911) * a);
  let p = t * (${T}(0.254829592) + t * (${T}(-0.284496736) + t * (${T}(1.421413741) + t * (${T}(-1.453152027) + t * ${T}(1.061405429)))));
  return sign(x) * (${T}(1.0) - p * exp(-a * a));
}`;
    case 'tanh': return `fn sl_tanh_${tag}(x: ${T}) -> ${T} {
  let a = abs(x);
  let a2 = a * a;
  let small = a * (${T}(1.0) + a2 * (${T}(-0.33333333333) + a2 * (${T}(0.13333333333) + a2 * ${T}(-0.053968253968))));
  let e = exp(${T}(-2.0) * a);
  let big = (${T}(1.0) - e) / (${T}(1.0) + e);
  return sign(x) * select(big, small, a < ${T}(0.125));
}`;
    // WGSL leaves log undefined for x ≤ 0 (SwiftShader returns finite garbage): C's NaN and −Inf.
    case 'log': return `fn sl_log_${tag}(x: ${T}) -> ${T} {
  let nan = ${T}(${elem}(sl_nan_f32()));
  return select(select(log(x), -${T}(${elem}(sl_inf_f32())), x == ${T}(0.0)), nan, x < ${T}(0.0));
}`;
    case 'pow': return `fn sl_pow_${tag}(x: ${T}, y: ${T}) -> ${T} {
  let r = pow(abs(x), y);
  let signed = select(r, -r, fract(y * ${T}(0.5)) != ${T}(0.0));
  let negative_base = select(${T}(${elem}(sl_nan_f32())), signed, y == floor(y));
  return select(select(negative_base, r, x >= ${T}(0.0)), ${T}(1.0), y == ${T}(0.0));
}`;
    case 'max': case 'min': {
      // f16 is widened to f32 for the test (the conversion keeps NaN); a + b is NaN when either is.
      const lanes = /^vec(\d)</.exec(type)?.[1];
      const F = lanes ? `vec${lanes}<f32>` : 'f32';
      const U = lanes ? `vec${lanes}<u32>` : 'u32';
      const bits = (x: string) => `bitcast<${U}>(${T === F ? x : `${F}(${x})`})`;
      const word = (w: string) => (lanes ? `${U}(${w})` : w);
      const nan = (x: string) => `(${bits(x)} & ${word('0x7fffffffu')}) > ${word('0x7f800000u')}`;
      return `fn sl_${name}_${tag}(a: ${T}, b: ${T}) -> ${T} {
  return select(${name}(a, b), a + b, (${nan('a')}) | (${nan('b')}));
}`;
    }
    case 'ipow': return `fn sl_pow_i32(x: i32, y: i32) -> i32 {
  if (y < 0) { return select(select(0, 1, x == 1), select(-1, 1, (y & 1) == 0), x == -1); }
  var r = 1;
  var b = x;
  var e = y;
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { r = r * b; }
    b = b * b;
    e = e >> 1u;
  }
  return r;
}`;
    case 'shl': return 'fn sl_shl_i32(a: i32, b: i32) -> i32 { return a << u32(b); }\nfn sl_shl_u32(a: u32, b: u32) -> u32 { return a << b; }';
    case 'shr': return 'fn sl_shr_i32(a: i32, b: i32) -> i32 { return a >> u32(b); }\nfn sl_shr_u32(a: u32, b: u32) -> u32 { return a >> b; }';
    case 'nan': return 'var<private> sl_nan_bits: u32 = 0x7fc00000u;\nfn sl_nan_f32() -> f32 { return bitcast<f32>(sl_nan_bits); }';
    case 'inf': return 'var<private> sl_inf_bits: u32 = 0x7f800000u;\nfn sl_inf_f32() -> f32 { return bitcast<f32>(sl_inf_bits); }';
    // A bit test: WGSL compilers may assume no NaNs and fold x != x to false.
    case 'isnan': return type === 'f16'
      ? 'fn sl_isnan_f16(x: f16) -> bool { return (bitcast<u32>(vec2<f16>(x, 0.0h)) & 0x7fffu) > 0x7c00u; }'
      : 'fn sl_isnan_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }';
    case 'round_bf16': return `fn sl_round_bf16(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return bitcast<f32>((b | 0x00400000u) & 0xffff0000u); }
  return bitcast<f32>((b + 0x7fffu + ((b >> 16u) & 1u)) & 0xffff0000u);
}`;
    // Round to the nearest f16 value (ties to even), kept in an f32; pack2x16float's rounding is not specified.
    case 'round_f16': return `fn sl_round_f16(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let s = b & 0x80000000u;
  let a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) { return x; }
  if (a >= 0x477ff000u) { return bitcast<f32>(s | 0x7f800000u); }
  if (a < 0x38800000u) { return bitcast<f32>(s | bitcast<u32>(round(abs(x) * 16777216.0) / 16777216.0)); }
  return bitcast<f32>(s | ((a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u));
}`;
  }
}

/** Helpers a helper itself calls. */
export const HELPER_DEPENDENCIES: Partial<Record<HelperName, readonly HelperName[]>> = { pow: ['nan'], log: ['nan', 'inf'] };
