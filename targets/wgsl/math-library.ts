// WGSL helper functions for what WGSL lacks or leaves loose, emitted into a module only when
// a kernel calls them (the `sl_` prefix keeps them apart from IR names):
// - erf (WGSL has none): Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7;
// - tanh: the builtin may overflow to NaN for large |x| on some drivers, so exp(−2|x|) with a
//   Taylor series near 0 where 1 − e^(−2|x|) would cancel;
// - pow: WGSL's pow is undefined for x < 0 and x = 0, y = 0; C's pow is meant (integer
//   exponents of negative bases, pow(x, 0) = 1); integer pow by binary powering;
// - shifts take the amount as u32 in WGSL;
// - NaN and ±Inf cannot be WGSL constants (a const-expression may not be NaN or infinite),
//   so they come from bit patterns held in private variables;
// - rounding an f32 to bf16 / f16 precision for stores into those dtypes.

export type HelperName =
  | 'erf' | 'tanh' | 'pow' | 'ipow' | 'shl' | 'shr' | 'nan' | 'inf' | 'round_bf16' | 'round_f16';

/** WGSL source of a helper for float type `f` ('f32' or 'f16'); int helpers ignore `f`. */
export function helperSource(name: HelperName, f: 'f32' | 'f16'): string {
  switch (name) {
    case 'erf': return `fn sl_erf_${f}(x: ${f}) -> ${f} {
  let a = f32(abs(x));
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return ${f}(sign(f32(x)) * (1.0 - p * exp(-a * a)));
}`;
    case 'tanh': return `fn sl_tanh_${f}(x: ${f}) -> ${f} {
  let a = f32(abs(x));
  if (a < 0.125) {
    let a2 = a * a;
    return ${f}(sign(f32(x)) * a * (1.0 + a2 * (-0.33333333333 + a2 * (0.13333333333 + a2 * -0.053968253968))));
  }
  let e = exp(-2.0 * a);
  return ${f}(sign(f32(x)) * (1.0 - e) / (1.0 + e));
}`;
    case 'pow': return `fn sl_pow_${f}(x: ${f}, y: ${f}) -> ${f} {
  if (y == 0.0) { return 1.0; }
  let r = pow(abs(x), y);
  if (x >= 0.0) { return r; }
  if (y != floor(y)) { return ${f}(sl_nan_f32()); }
  return select(r, -r, fract(y * 0.5) != 0.0);
}`;
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
    case 'round_bf16': return `fn sl_round_bf16(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return bitcast<f32>((b | 0x00400000u) & 0xffff0000u); }
  return bitcast<f32>((b + 0x7fffu + ((b >> 16u) & 1u)) & 0xffff0000u);
}`;
    case 'round_f16': return 'fn sl_round_f16(x: f32) -> f32 { return unpack2x16float(pack2x16float(vec2<f32>(x, 0.0))).x; }';
  }
}

/** Helpers a helper itself calls. */
export const HELPER_DEPENDENCIES: Partial<Record<HelperName, readonly HelperName[]>> = { pow: ['nan'] };
