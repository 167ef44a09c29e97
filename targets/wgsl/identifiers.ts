// Legal WGSL names for Kernel IR names: keywords, reserved words and the builtins a printed
// kernel calls get a trailing `_`, and so does any name that already ends in `_` (so the map
// stays injective). Names the printer makes itself start with `sl_`, which IR names never
// keep (`sl_x` → `sl_x_`).

const RESERVED = new Set((
  'alias break case const const_assert continue continuing default diagnostic discard else enable false fn for if let loop ' +
  'override requires return struct switch true var while ' +
  'NULL Self abstract active alignas alignof as asm asm_fragment async attribute auto await become cast catch class co_await ' +
  'co_return co_yield coherent column_major common compile compile_fragment concept const_cast consteval constexpr constinit ' +
  'crate debugger decltype delete demote demote_to_helper do dynamic_cast enum explicit export extends extern external fallthrough ' +
  'filter final finally friend from fxgroup get goto groupshared highp impl implements import inline instanceof interface layout ' +
  'lowp macro macro_rules match mediump meta mod module move mut mutable namespace new nil noexcept noinline nointerpolation ' +
  'non_coherent noncoherent noperspective null nullptr of operator package packoffset partition pass patch pixelfragment precise ' +
  'precision premerge priv protected pub public readonly ref regardless register reinterpret_cast require resource restrict self ' +
  'set shared sizeof smooth snorm static static_assert static_cast std subroutine super target template this thread_local throw ' +
  'trait try type typedef typeid typename typeof union unless unorm unsafe unsized use using varying virtual volatile wgsl where ' +
  'with writeonly yield ' +
  // types and builtins the printed code uses
  'bool f16 f32 i32 u32 vec2 vec3 vec4 array atomic ptr sampler texture_2d ' +
  'abs acos all any asin atan atan2 bitcast ceil clamp cos cosh cross degrees determinant distance dot exp exp2 floor fma fract ' +
  'frexp inverseSqrt ldexp length log log2 max min mix modf normalize pow radians reflect round saturate select sign sin sinh ' +
  'smoothstep sqrt step tan tanh transpose trunc workgroupBarrier storageBarrier pack2x16float unpack2x16float arrayLength ' +
  'read read_write write storage uniform workgroup private function'
).split(' '));

export function wgslIdentifier(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, (c) => `_x${c.codePointAt(0)!.toString(16)}_`);
  if (/^[0-9]/.test(s)) s = `n${s}`;
  if (s.startsWith('__')) s = `u${s}`;
  if (RESERVED.has(s) || s.endsWith('_') || s.startsWith('sl_') || s === '_') s = `${s}_`;
  return s;
}
