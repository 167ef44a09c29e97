// The helpers every kernels.cu starts with: Kernel IR semantics that CUDA C spells
// differently or not at all. Names start with `sl_` (the dialect keeps IR names out of that
// prefix). Scalar f32 math prints as CUDA builtins directly (expf, erff, rintf ...); these
// cover what the IR defines more tightly than C does:
// - float max/min propagate NaN (fmaxf does not);
// - float → int casts truncate, saturate, and give 0 for NaN (a C cast is undefined);
// - shift counts are masked to the operand's width (WASM and the interpreter do that);
// - f16 values compute in float, rounded to half after every op (`sl_rh`);
// - vectors (`sl_vec<T, N>`) are lane-wise structs; a 4 × f32 load or store of a 16-byte
//   aligned address is one 128-bit access (float4), otherwise it is done lane by lane.
// Under the emulator (targets/cuda/emulation/sluice_cuda_emu.h) the same text compiles as C++.

export const CUDA_PRELUDE = String.raw`#ifndef SLUICE_CUDA_EMULATION
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <mma.h>
#include <stdint.h>
#endif

#define SL_D __device__ __forceinline__

// ---- vectors ----
template <typename T, int N> struct alignas(sizeof(T) * N <= 16 ? sizeof(T) * N : 16) sl_vec { T v[N]; };
typedef sl_vec<float, 2> sl_f32x2; typedef sl_vec<float, 4> sl_f32x4; typedef sl_vec<float, 8> sl_f32x8;
typedef sl_vec<int, 2> sl_i32x2; typedef sl_vec<int, 4> sl_i32x4; typedef sl_vec<int, 8> sl_i32x8;
typedef sl_vec<unsigned int, 2> sl_u32x2; typedef sl_vec<unsigned int, 4> sl_u32x4; typedef sl_vec<unsigned int, 8> sl_u32x8;
typedef sl_vec<bool, 2> sl_boolx2; typedef sl_vec<bool, 4> sl_boolx4; typedef sl_vec<bool, 8> sl_boolx8;

template <typename T, int N> SL_D sl_vec<T, N> sl_splat(T a) { sl_vec<T, N> r; for (int i = 0; i < N; i++) r.v[i] = a; return r; }
#define SL_VEC_INFIX(OP, R) \
  template <typename T, int N> SL_D sl_vec<R, N> operator OP(sl_vec<T, N> a, sl_vec<T, N> b) { \
    sl_vec<R, N> r; for (int i = 0; i < N; i++) r.v[i] = a.v[i] OP b.v[i]; return r; }
SL_VEC_INFIX(+, T) SL_VEC_INFIX(-, T) SL_VEC_INFIX(*, T) SL_VEC_INFIX(/, T) SL_VEC_INFIX(%, T)
SL_VEC_INFIX(&, T) SL_VEC_INFIX(|, T) SL_VEC_INFIX(^, T)
SL_VEC_INFIX(==, bool) SL_VEC_INFIX(!=, bool) SL_VEC_INFIX(<, bool) SL_VEC_INFIX(<=, bool) SL_VEC_INFIX(>, bool) SL_VEC_INFIX(>=, bool)
SL_VEC_INFIX(&&, bool) SL_VEC_INFIX(||, bool)
template <typename T, int N> SL_D sl_vec<T, N> operator-(sl_vec<T, N> a) { for (int i = 0; i < N; i++) a.v[i] = -a.v[i]; return a; }
template <typename T, int N> SL_D sl_vec<T, N> operator~(sl_vec<T, N> a) { for (int i = 0; i < N; i++) a.v[i] = ~a.v[i]; return a; }
template <int N> SL_D sl_vec<bool, N> operator!(sl_vec<bool, N> a) { for (int i = 0; i < N; i++) a.v[i] = !a.v[i]; return a; }
template <typename T, int N> SL_D sl_vec<T, N> sl_select(sl_vec<bool, N> c, sl_vec<T, N> a, sl_vec<T, N> b) {
  for (int i = 0; i < N; i++) a.v[i] = c.v[i] ? a.v[i] : b.v[i]; return a; }

// Lifts a scalar helper to vectors lane by lane.
#define SL_LIFT1(F) template <typename T, int N> SL_D sl_vec<T, N> F(sl_vec<T, N> a) { for (int i = 0; i < N; i++) a.v[i] = F(a.v[i]); return a; }
#define SL_LIFT2(F) template <typename T, int N> SL_D sl_vec<T, N> F(sl_vec<T, N> a, sl_vec<T, N> b) { for (int i = 0; i < N; i++) a.v[i] = F(a.v[i], b.v[i]); return a; }

// ---- scalar semantics ----
SL_D float sl_max(float a, float b) { return (a != a || b != b) ? a + b : fmaxf(a, b); }
SL_D float sl_min(float a, float b) { return (a != a || b != b) ? a + b : fminf(a, b); }
SL_D double sl_max(double a, double b) { return (a != a || b != b) ? a + b : fmax(a, b); }
SL_D double sl_min(double a, double b) { return (a != a || b != b) ? a + b : fmin(a, b); }
SL_D int sl_max(int a, int b) { return a > b ? a : b; }
SL_D int sl_min(int a, int b) { return a < b ? a : b; }
SL_D unsigned int sl_max(unsigned int a, unsigned int b) { return a > b ? a : b; }
SL_D unsigned int sl_min(unsigned int a, unsigned int b) { return a < b ? a : b; }
SL_D long long sl_max(long long a, long long b) { return a > b ? a : b; }
SL_D long long sl_min(long long a, long long b) { return a < b ? a : b; }
SL_D bool sl_max(bool a, bool b) { return a || b; }
SL_D bool sl_min(bool a, bool b) { return a && b; }
SL_D float sl_abs(float a) { return fabsf(a); }
SL_D double sl_abs(double a) { return fabs(a); }
SL_D int sl_abs(int a) { return a < 0 ? (int)(0u - (unsigned int)a) : a; }
SL_D unsigned int sl_abs(unsigned int a) { return a; }
SL_D long long sl_abs(long long a) { return a < 0 ? (long long)(0ull - (unsigned long long)a) : a; }
SL_D float sl_sign(float a) { return a > 0.0f ? 1.0f : a < 0.0f ? -1.0f : a; }
SL_D double sl_sign(double a) { return a > 0.0 ? 1.0 : a < 0.0 ? -1.0 : a; }
SL_D int sl_sign(int a) { return (a > 0) - (a < 0); }
SL_D unsigned int sl_sign(unsigned int a) { return a > 0u ? 1u : 0u; }
SL_D long long sl_sign(long long a) { return (long long)((a > 0) - (a < 0)); }
SL_D float sl_rem(float a, float b) { return fmodf(a, b); }
SL_D double sl_rem(double a, double b) { return fmod(a, b); }
SL_D float sl_pow(float a, float b) { return powf(a, b); }
SL_D double sl_pow(double a, double b) { return pow(a, b); }
SL_D int sl_pow(int a, int b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  unsigned int r = 1u, base = (unsigned int)a;
  for (unsigned int e = (unsigned int)b; e; e >>= 1, base *= base) if (e & 1u) r *= base;
  return (int)r;
}
SL_D unsigned int sl_pow(unsigned int a, unsigned int b) { return (unsigned int)sl_pow((int)a, (int)b); }
SL_D long long sl_pow(long long a, long long b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  unsigned long long r = 1ull, base = (unsigned long long)a;
  for (unsigned long long e = (unsigned long long)b; e; e >>= 1, base *= base) if (e & 1ull) r *= base;
  return (long long)r;
}
SL_D int sl_shl(int a, int b) { return (int)((unsigned int)a << (b & 31)); }
SL_D int sl_shr(int a, int b) { return a >> (b & 31); }
SL_D unsigned int sl_shl(unsigned int a, unsigned int b) { return a << (b & 31u); }
SL_D unsigned int sl_shr(unsigned int a, unsigned int b) { return a >> (b & 31u); }
SL_D long long sl_shl(long long a, long long b) { return (long long)((unsigned long long)a << (b & 63)); }
SL_D long long sl_shr(long long a, long long b) { return a >> (b & 63); }
SL_D float sl_exp(float a) { return expf(a); }     SL_D double sl_exp(double a) { return exp(a); }
SL_D float sl_log(float a) { return logf(a); }     SL_D double sl_log(double a) { return log(a); }
SL_D float sl_sqrt(float a) { return sqrtf(a); }   SL_D double sl_sqrt(double a) { return sqrt(a); }
SL_D float sl_rsqrt(float a) { return 1.0f / sqrtf(a); } SL_D double sl_rsqrt(double a) { return 1.0 / sqrt(a); }
SL_D float sl_tanh(float a) { return tanhf(a); }   SL_D double sl_tanh(double a) { return tanh(a); }
SL_D float sl_erf(float a) { return erff(a); }     SL_D double sl_erf(double a) { return erf(a); }
SL_D float sl_sin(float a) { return sinf(a); }     SL_D double sl_sin(double a) { return sin(a); }
SL_D float sl_cos(float a) { return cosf(a); }     SL_D double sl_cos(double a) { return cos(a); }
SL_D float sl_floor(float a) { return floorf(a); } SL_D double sl_floor(double a) { return floor(a); }
SL_D float sl_ceil(float a) { return ceilf(a); }   SL_D double sl_ceil(double a) { return ceil(a); }
SL_D float sl_round(float a) { return rintf(a); }  SL_D double sl_round(double a) { return rint(a); }
SL_D float sl_trunc(float a) { return truncf(a); } SL_D double sl_trunc(double a) { return trunc(a); }
SL_D float sl_fma(float a, float b, float c) { return fmaf(a, b, c); }
SL_D double sl_fma(double a, double b, double c) { return fma(a, b, c); }
template <typename T> SL_D T sl_fma(T a, T b, T c) { return a * b + c; }
SL_LIFT2(sl_max) SL_LIFT2(sl_min) SL_LIFT2(sl_rem) SL_LIFT2(sl_pow) SL_LIFT2(sl_shl) SL_LIFT2(sl_shr)
SL_LIFT1(sl_abs) SL_LIFT1(sl_sign) SL_LIFT1(sl_exp) SL_LIFT1(sl_log) SL_LIFT1(sl_sqrt) SL_LIFT1(sl_rsqrt) SL_LIFT1(sl_tanh)
SL_LIFT1(sl_erf) SL_LIFT1(sl_sin) SL_LIFT1(sl_cos) SL_LIFT1(sl_floor) SL_LIFT1(sl_ceil) SL_LIFT1(sl_round) SL_LIFT1(sl_trunc)
template <typename T, int N> SL_D sl_vec<T, N> sl_fma(sl_vec<T, N> a, sl_vec<T, N> b, sl_vec<T, N> c) {
  for (int i = 0; i < N; i++) a.v[i] = sl_fma(a.v[i], b.v[i], c.v[i]); return a; }
template <typename T, int N> SL_D T sl_reduce_add(sl_vec<T, N> a) { T r = a.v[0]; for (int i = 1; i < N; i++) r = r + a.v[i]; return r; }
template <typename T, int N> SL_D T sl_reduce_max(sl_vec<T, N> a) { T r = a.v[0]; for (int i = 1; i < N; i++) r = sl_max(r, a.v[i]); return r; }
template <typename T, int N> SL_D T sl_reduce_min(sl_vec<T, N> a) { T r = a.v[0]; for (int i = 1; i < N; i++) r = sl_min(r, a.v[i]); return r; }

// ---- warp reductions (Kernel IR warp_reduce): a butterfly over the 32 lanes, every lane gets the result ----
// a + b == b + a, so partners compute the same bits and the whole warp ends with one value.
#define SL_WARP(NAME, T, COMBINE) SL_D T NAME(T v) { \
  for (int o = 16; o > 0; o >>= 1) { T w = __shfl_xor_sync(0xffffffffu, v, o); v = COMBINE; } return v; }
SL_WARP(sl_warp_add_f32, float, v + w) SL_WARP(sl_warp_max_f32, float, sl_max(v, w)) SL_WARP(sl_warp_min_f32, float, sl_min(v, w))
SL_WARP(sl_warp_add_i32, int, (int)((unsigned)v + (unsigned)w)) SL_WARP(sl_warp_max_i32, int, sl_max(v, w)) SL_WARP(sl_warp_min_i32, int, sl_min(v, w))

// ---- f16 computed in float, rounded after every op ----
SL_D float sl_rh(float a) { return __half2float(__float2half_rn(a)); }
template <int N> SL_D sl_vec<float, N> sl_rh(sl_vec<float, N> a) { for (int i = 0; i < N; i++) a.v[i] = sl_rh(a.v[i]); return a; }
#define SL_H2(NAME, EXPR) template <typename X> SL_D X NAME(X a, X b) { return sl_rh(EXPR); }
SL_H2(sl_h_add, a + b) SL_H2(sl_h_sub, a - b) SL_H2(sl_h_mul, a * b) SL_H2(sl_h_div, a / b)
SL_H2(sl_h_rem, sl_rem(a, b)) SL_H2(sl_h_pow, sl_pow(a, b))
#define SL_H1(NAME, F) template <typename X> SL_D X NAME(X a) { return sl_rh(F(a)); }
SL_H1(sl_h_exp, sl_exp) SL_H1(sl_h_log, sl_log) SL_H1(sl_h_sqrt, sl_sqrt) SL_H1(sl_h_rsqrt, sl_rsqrt) SL_H1(sl_h_tanh, sl_tanh)
SL_H1(sl_h_erf, sl_erf) SL_H1(sl_h_sin, sl_sin) SL_H1(sl_h_cos, sl_cos)
template <typename X> SL_D X sl_h_fma(X a, X b, X c) { return sl_rh(sl_fma(a, b, c)); }
template <typename X> SL_D float sl_h_reduce_add(X a) { float r = a.v[0]; for (int i = 1; i < (int)(sizeof(a.v) / sizeof(a.v[0])); i++) r = sl_rh(r + a.v[i]); return r; }

// ---- conversions ----
template <typename To, typename From> struct sl_conv_t { static SL_D To f(From x) { return (To)x; } };
#define SL_SATURATE(TO, FROM, LO, HI) template <> struct sl_conv_t<TO, FROM> { static SL_D TO f(FROM x) { \
  return x != x ? (TO)0 : x <= (FROM)(LO) ? (TO)(LO) : x >= (FROM)(HI) ? (TO)(HI) : (TO)x; } };
SL_SATURATE(int, float, -2147483648.0, 2147483647.0) SL_SATURATE(int, double, -2147483648.0, 2147483647.0)
SL_SATURATE(unsigned int, float, 0.0, 4294967295.0) SL_SATURATE(unsigned int, double, 0.0, 4294967295.0)
template <> struct sl_conv_t<long long, float> { static SL_D long long f(float x) {
  return x != x ? 0LL : x >= 9223372036854775807.0f ? 9223372036854775807LL : x <= -9223372036854775808.0f ? (-9223372036854775807LL - 1) : (long long)x; } };
template <> struct sl_conv_t<long long, double> { static SL_D long long f(double x) {
  return x != x ? 0LL : x >= 9223372036854775807.0 ? 9223372036854775807LL : x <= -9223372036854775808.0 ? (-9223372036854775807LL - 1) : (long long)x; } };
template <typename From> struct sl_conv_t<bool, From> { static SL_D bool f(From x) { return x != (From)0; } };
template <typename To, typename From> SL_D To sl_conv(From x) { return sl_conv_t<To, From>::f(x); }
template <typename To, typename From, int N> SL_D sl_vec<To, N> sl_conv(sl_vec<From, N> a) {
  sl_vec<To, N> r; for (int i = 0; i < N; i++) r.v[i] = sl_conv<To>(a.v[i]); return r; }

// ---- buffer elements: storage type <-> compute type ----
SL_D float sl_ld(float s) { return s; }
SL_D double sl_ld(double s) { return s; }
SL_D float sl_ld(__half s) { return __half2float(s); }
SL_D float sl_ld(__nv_bfloat16 s) { return __bfloat162float(s); }
SL_D int sl_ld(signed char s) { return s; }
SL_D int sl_ld(short s) { return s; }
SL_D int sl_ld(unsigned short s) { return s; }
SL_D int sl_ld(int s) { return s; }
SL_D unsigned int sl_ld(unsigned int s) { return s; }
SL_D long long sl_ld(long long s) { return s; }
SL_D long long sl_ld(unsigned long long s) { return (long long)s; }
// unsigned char holds u8 (an i32 when loaded) and bool: the compute type picks.
template <typename C, typename S> struct sl_ld_t { static SL_D C f(S s) { return (C)sl_ld(s); } };
template <typename C> struct sl_ld_t<C, unsigned char> { static SL_D C f(unsigned char s) { return (C)s; } };
template <> struct sl_ld_t<bool, unsigned char> { static SL_D bool f(unsigned char s) { return s != 0; } };
template <typename C, typename S> SL_D C sl_ld_as(S s) { return sl_ld_t<C, S>::f(s); }
template <typename S> struct sl_st_t { template <typename C> static SL_D S f(C v) { return (S)v; } };
template <> struct sl_st_t<__half> { static SL_D __half f(float v) { return __float2half_rn(v); } };
template <> struct sl_st_t<__nv_bfloat16> { static SL_D __nv_bfloat16 f(float v) { return __float2bfloat16_rn(v); } };
template <typename S, typename C> SL_D S sl_st(C v) { return sl_st_t<S>::f(v); }

template <typename A, typename B> struct sl_same { static const bool value = false; };
template <typename A> struct sl_same<A, A> { static const bool value = true; };
template <typename C, int N, typename S> SL_D sl_vec<C, N> sl_vload(const S* p, int i) {
  sl_vec<C, N> r;
  if constexpr (sl_same<C, S>::value && sizeof(S) == 4 && N == 4) {
    if (((uintptr_t)(p + i) & 15) == 0) {
      const uint4 t = *reinterpret_cast<const uint4*>(p + i); // one 128-bit load
      memcpy(&r, &t, 16);
      return r;
    }
  }
  for (int k = 0; k < N; k++) r.v[k] = sl_ld_as<C>(p[i + k]);
  return r;
}
template <typename S, typename C, int N> SL_D void sl_vstore(S* p, int i, sl_vec<C, N> v) {
  if constexpr (sl_same<C, S>::value && sizeof(S) == 4 && N == 4) {
    if (((uintptr_t)(p + i) & 15) == 0) {
      uint4 t;
      memcpy(&t, &v, 16);
      *reinterpret_cast<uint4*>(p + i) = t; // one 128-bit store
      return;
    }
  }
  for (int k = 0; k < N; k++) p[i + k] = sl_st<S>(v.v[k]);
}

// ---- launches ----
#ifndef SLUICE_CUDA_EMULATION
#define SLUICE_LAUNCH(kernel, grid, block, shared, stream, ...) kernel<<<(grid), (block), (shared), (stream)>>>(__VA_ARGS__)
#endif
/** Blocks for a flattened grid of \`items\` work items: x first, y when x would overflow. */
static inline dim3 sl_grid_of(long long items) {
  const long long maxX = 2147483647LL;
  return items <= maxX ? dim3((unsigned int)items, 1, 1) : dim3((unsigned int)maxX, (unsigned int)((items + maxX - 1) / maxX), 1);
}
`;
