// sluice_cuda_emu.h — run sluice's generated CUDA C on a CPU, for tests without a GPU.
//
// Build the same kernels.cu / model.cu as C++:
//   g++ -std=c++17 -O1 -fwrapv -x c++ -include sluice_cuda_emu.h kernels.cu ...
//
// What is emulated, and how:
// - Blocks run one after another on the calling host thread.
// - A block of one thread (the CPU-style schedules) runs the kernel body directly.
//   A bigger block runs each thread as a fiber (ucontext, its own mmap'd stack); the fibers
//   take turns, each running until it reaches a sync point (__syncthreads, a warp shuffle,
//   __syncwarp) or returns. A block barrier releases once every live thread of the block has
//   reached it; a warp sync once every live lane of that warp (32 threads, in threadIdx
//   order) has. A barrier that can never release (a thread that returned while others wait,
//   divergent barriers) is reported and aborts: it is a kernel bug on a GPU too.
// - __shared__ is `static thread_local`: one copy per host thread, so every fiber of the block
//   (all on one host thread) shares it, and it outlives the block like a GPU's shared memory
//   does (the next block sees stale data, never zeros it can rely on).
// - threadIdx / blockIdx / blockDim / gridDim are macros reading the running fiber's and
//   block's coordinates.
// - half and __nv_bfloat16 are 16-bit structs with round-to-nearest-even conversions;
//   float4 and friends are plain aligned structs.
// - Device memory is host memory: cudaMalloc is aligned_alloc, cudaMemcpy is memcpy, streams
//   are tokens and every call is synchronous. Kernels launch through SLUICE_LAUNCH.
//
// Not emulated: tensor-core PTX (mma.sync; the wmma fragment API is, below), atomics beyond atomicAdd on
// float/int, inline PTX, texture memory. Integer overflow wraps only with -fwrapv.

#ifndef SLUICE_CUDA_EMU_H
#define SLUICE_CUDA_EMU_H

#define SLUICE_CUDA_EMULATION 1

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>
#include <sys/mman.h>
#include <ucontext.h>

// ---- qualifiers ----

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define __constant__ static

// ---- vector and index types ----

struct uint3 { unsigned int x, y, z; };
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(16) uint4 { unsigned int x, y, z, w; };
struct alignas(16) double2 { double x, y; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }

// ---- half and bfloat16 ----

struct __half { uint16_t bits; };
struct __nv_bfloat16 { uint16_t bits; };
typedef __half half;

namespace sluice_emu {

inline uint32_t float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

/** IEEE binary16 from binary32, round to nearest even (overflow to inf, NaN stays NaN). */
inline uint16_t f32_to_f16(float f) {
  uint32_t x = float_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t man = x & 0x7fffffu;
  if (exp == 0xffu) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000u;
    int shift = 14 - e;
    uint32_t half_man = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_man & 1u))) half_man++;
    return (uint16_t)(sign | half_man);
  }
  uint32_t h = sign | ((uint32_t)e << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; // a carry into the exponent is right
  return (uint16_t)h;
}

inline float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0x1fu) return bits_float(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    if (man == 0) return bits_float(sign);
    float v = std::ldexp((float)man, -24);
    return sign ? -v : v;
  }
  return bits_float(sign | ((exp + 112u) << 23) | (man << 13));
}

inline uint16_t f32_to_bf16(float f) {
  uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); // quiet NaN
  uint32_t lsb = (x >> 16) & 1u;
  return (uint16_t)((x + 0x7fffu + lsb) >> 16);
}

inline float bf16_to_f32(uint16_t b) { return bits_float((uint32_t)b << 16); }

} // namespace sluice_emu

inline __half __float2half_rn(float f) { return __half{sluice_emu::f32_to_f16(f)}; }
inline __half __float2half(float f) { return __float2half_rn(f); }
inline float __half2float(__half h) { return sluice_emu::f16_to_f32(h.bits); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16{sluice_emu::f32_to_bf16(f)}; }
inline __nv_bfloat16 __float2bfloat16(float f) { return __float2bfloat16_rn(f); }
inline float __bfloat162float(__nv_bfloat16 b) { return sluice_emu::bf16_to_f32(b.bits); }

// ---- math builtins CUDA has and C++ spells differently ----

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline double __longlong_as_double(long long i) { double f; std::memcpy(&f, &i, 8); return f; }
inline long long __double_as_longlong(double f) { long long i; std::memcpy(&i, &f, 8); return i; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
using std::erf; using std::exp; using std::log; using std::sqrt; using std::tanh; using std::sin; using std::cos;
using std::floor; using std::ceil; using std::rint; using std::trunc; using std::fabs; using std::pow; using std::fmod;
using std::fma; using std::fmax; using std::fmin;

// ---- the fiber scheduler ----

namespace sluice_emu {

enum class FiberState { Runnable, AtBlockBarrier, AtWarpSync, Done };

struct Fiber {
  ucontext_t context;
  void* stack = nullptr;
  uint3 thread_idx{0, 0, 0};
  unsigned linear = 0;
  FiberState state = FiberState::Runnable;
  // Warp shuffle exchange: the value this lane offers (as bytes) and which lane it reads.
  unsigned char offered[8] = {0};
  unsigned shuffle_source = 0;
};

struct Block {
  dim3 grid, block;
  uint3 block_idx{0, 0, 0};
  std::vector<Fiber>* fibers = nullptr;
  Fiber* current = nullptr;
  ucontext_t scheduler;
  void (*body)(void*) = nullptr;
  void* body_arg = nullptr;
};

/** The block running on this host thread (one at a time). */
inline thread_local Block* running = nullptr;
/** A single-thread block's coordinates, when no fiber runs. */
inline thread_local uint3 direct_thread_idx{0, 0, 0};

constexpr std::size_t kStackBytes = 512 * 1024;

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "sluice CUDA emulation: %s\n", what);
  std::abort();
}

inline uint3 current_thread_idx() { return running && running->current ? running->current->thread_idx : direct_thread_idx; }
inline uint3 current_block_idx() { if (!running) fail("blockIdx read outside a kernel"); return running->block_idx; }
inline dim3 current_block_dim() { if (!running) fail("blockDim read outside a kernel"); return running->block; }
inline dim3 current_grid_dim() { if (!running) fail("gridDim read outside a kernel"); return running->grid; }

inline void yield_to_scheduler(FiberState state) {
  Block* b = running;
  if (!b || !b->current) return; // a one-thread block: every sync point is trivially reached
  Fiber* f = b->current;
  f->state = state;
  swapcontext(&f->context, &b->scheduler);
}

inline void fiber_entry(unsigned lo, unsigned hi) {
  Block* b = reinterpret_cast<Block*>(((uintptr_t)hi << 32) | (uintptr_t)lo);
  b->body(b->body_arg);
  b->current->state = FiberState::Done;
  swapcontext(&b->current->context, &b->scheduler);
}

/** Releases the barriers whose members have all arrived; false when nothing can move. */
inline bool release(std::vector<Fiber>& fibers) {
  bool any = false;
  std::size_t live = 0, atBlock = 0;
  for (auto& f : fibers) {
    if (f.state == FiberState::Runnable) return true;
    if (f.state != FiberState::Done) live++;
    if (f.state == FiberState::AtBlockBarrier) atBlock++;
  }
  if (live == 0) return false;
  if (atBlock == live) {
    for (auto& f : fibers) if (f.state == FiberState::AtBlockBarrier) f.state = FiberState::Runnable;
    return true;
  }
  for (std::size_t w = 0; w < fibers.size(); w += 32) {
    std::size_t end = w + 32 < fibers.size() ? w + 32 : fibers.size();
    bool all = true, some = false;
    for (std::size_t i = w; i < end; i++) {
      if (fibers[i].state == FiberState::AtWarpSync) some = true;
      else if (fibers[i].state != FiberState::Done) all = false;
    }
    if (some && all) {
      for (std::size_t i = w; i < end; i++) if (fibers[i].state == FiberState::AtWarpSync) fibers[i].state = FiberState::Runnable;
      any = true;
    }
  }
  if (!any) fail("deadlock: threads wait at a barrier that the rest of the block never reaches");
  return true;
}

inline std::vector<Fiber>& fiber_pool(std::size_t n) {
  static thread_local std::vector<Fiber> pool;
  if (pool.size() < n) {
    std::size_t old = pool.size();
    pool.resize(n);
    for (std::size_t i = old; i < n; i++) {
      void* s = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (s == MAP_FAILED) fail("cannot map a fiber stack");
      pool[i].stack = s;
    }
  }
  return pool;
}

inline void run_block_fibers(Block& b, std::size_t threads) {
  std::vector<Fiber>& pool = fiber_pool(threads);
  std::vector<Fiber> fibers; // views into the pool's stacks, reset per block
  fibers.resize(threads);
  uintptr_t self = reinterpret_cast<uintptr_t>(&b);
  for (std::size_t i = 0; i < threads; i++) {
    Fiber& f = fibers[i];
    f.stack = pool[i].stack;
    f.linear = (unsigned)i;
    f.thread_idx = uint3{(unsigned)(i % b.block.x), (unsigned)((i / b.block.x) % b.block.y), (unsigned)(i / ((std::size_t)b.block.x * b.block.y))};
    f.state = FiberState::Runnable;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack;
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, (void (*)())fiber_entry, 2, (unsigned)(self & 0xffffffffu), (unsigned)(self >> 32));
  }
  b.fibers = &fibers;
  do {
    for (auto& f : fibers) {
      if (f.state != FiberState::Runnable) continue;
      b.current = &f;
      swapcontext(&b.scheduler, &f.context);
      b.current = nullptr;
    }
  } while (release(fibers));
  b.fibers = nullptr;
}

/** Runs `body` (a kernel call with its arguments bound) for every block of the grid. */
template <typename F>
void launch(dim3 grid, dim3 block, F&& body) {
  std::size_t threads = (std::size_t)block.x * block.y * block.z;
  if (threads == 0 || threads > 1024) fail("block size must be 1..1024 threads");
  if (grid.y > 65535 || grid.z > 65535) fail("gridDim.y and gridDim.z must be at most 65535");
  Block b;
  b.grid = grid;
  b.block = block;
  b.body = [](void* p) { (*static_cast<F*>(p))(); };
  b.body_arg = (void*)&body;
  Block* outer = running;
  running = &b;
  for (unsigned z = 0; z < grid.z; z++)
    for (unsigned y = 0; y < grid.y; y++)
      for (unsigned x = 0; x < grid.x; x++) {
        b.block_idx = uint3{x, y, z};
        if (threads == 1) {
          direct_thread_idx = uint3{0, 0, 0};
          body();
        } else {
          run_block_fibers(b, threads);
        }
      }
  running = outer;
}

/** Warp shuffle: every lane offers `v`, waits for its warp, then reads lane `src`'s offer. */
template <typename T>
T shuffle(T v, unsigned src, int width) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  Block* b = running;
  if (!b || !b->current) return v; // one thread: it reads itself
  Fiber* f = b->current;
  unsigned lane = f->linear % 32;
  unsigned base = lane - lane % (unsigned)width;
  unsigned target = base + src % (unsigned)width;
  std::memcpy(f->offered, &v, sizeof(T));
  yield_to_scheduler(FiberState::AtWarpSync);
  std::size_t warp0 = f->linear - lane;
  std::size_t index = warp0 + target;
  T out = v;
  if (index < b->fibers->size()) std::memcpy(&out, (*b->fibers)[index].offered, sizeof(T));
  // Everyone must read before anyone offers again.
  yield_to_scheduler(FiberState::AtWarpSync);
  return out;
}

inline unsigned lane_of_current() { return running && running->current ? running->current->linear % 32 : 0; }

} // namespace sluice_emu

#define threadIdx (sluice_emu::current_thread_idx())
#define blockIdx (sluice_emu::current_block_idx())
#define blockDim (sluice_emu::current_block_dim())
#define gridDim (sluice_emu::current_grid_dim())
#define warpSize 32

inline void __syncthreads() { sluice_emu::yield_to_scheduler(sluice_emu::FiberState::AtBlockBarrier); }
inline void __syncwarp(unsigned = 0xffffffffu) { sluice_emu::yield_to_scheduler(sluice_emu::FiberState::AtWarpSync); }
template <typename T> T __shfl_sync(unsigned, T v, int src, int width = 32) { return sluice_emu::shuffle(v, (unsigned)src, width); }
template <typename T> T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  return sluice_emu::shuffle(v, (sluice_emu::lane_of_current() % (unsigned)width) ^ (unsigned)mask, width);
}
template <typename T> T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  unsigned lane = sluice_emu::lane_of_current() % (unsigned)width;
  return sluice_emu::shuffle(v, lane + delta < (unsigned)width ? lane + delta : lane, width);
}
template <typename T> T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
  unsigned lane = sluice_emu::lane_of_current() % (unsigned)width;
  return sluice_emu::shuffle(v, lane >= delta ? lane - delta : lane, width);
}
// ---- tensor cores: the nvcuda::wmma fragment API on the host ----
// A fragment here holds its whole tile (as float) in every lane, so each lane computes the
// whole 16×16 product by itself: the same result as the warp's tensor-core multiply with f32
// accumulation (products exact, sums in float — a last-ulp difference from hardware order).
// Generated code puts __syncwarp() between an accumulator's load and its store, so no lane
// stores before every lane has loaded.
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K> struct tile_shape { static const int rows = M, cols = N; };
template <int M, int N, int K> struct tile_shape<matrix_a, M, N, K> { static const int rows = M, cols = K; };
template <int M, int N, int K> struct tile_shape<matrix_b, M, N, K> { static const int rows = K, cols = N; };

template <typename Use, int M, int N, int K, typename T, typename Layout = void> struct fragment {
  static const int rows = tile_shape<Use, M, N, K>::rows, cols = tile_shape<Use, M, N, K>::cols;
  static const int num_elements = rows * cols;
  float x[rows * cols];
};

inline float element_to_float(float v) { return v; }
inline float element_to_float(__half v) { return __half2float(v); }
inline float element_to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename Frag, typename P> void load_tile(Frag& f, const P* p, unsigned ld, bool row) {
  for (int r = 0; r < Frag::rows; r++)
    for (int c = 0; c < Frag::cols; c++) f.x[r * Frag::cols + c] = element_to_float(row ? p[r * ld + c] : p[c * ld + r]);
}
template <typename Use, int M, int N, int K, typename T, typename P>
void load_matrix_sync(fragment<Use, M, N, K, T, row_major>& f, const P* p, unsigned ld) { load_tile(f, p, ld, true); }
template <typename Use, int M, int N, int K, typename T, typename P>
void load_matrix_sync(fragment<Use, M, N, K, T, col_major>& f, const P* p, unsigned ld) { load_tile(f, p, ld, false); }
template <int M, int N, int K, typename T>
void load_matrix_sync(fragment<accumulator, M, N, K, T>& f, const T* p, unsigned ld, layout_t layout) { load_tile(f, p, ld, layout == mem_row_major); }
template <int M, int N, int K, typename T>
void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T>& f, unsigned ld, layout_t layout) {
  for (int r = 0; r < M; r++)
    for (int c = 0; c < N; c++) (layout == mem_row_major ? p[r * ld + c] : p[c * ld + r]) = f.x[r * N + c];
}
template <typename Frag, typename V> void fill_fragment(Frag& f, V v) { for (float& e : f.x) e = element_to_float(v); }
template <int M, int N, int K, typename T, typename LA, typename LB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LA>& a,
              const fragment<matrix_b, M, N, K, T, LB>& b, const fragment<accumulator, M, N, K, float>& c) {
  float out[M * N];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float sum = 0;
      for (int k = 0; k < K; k++) sum += a.x[i * K + k] * b.x[k * N + j];
      out[i * N + j] = c.x[i * N + j] + sum;
    }
  for (int e = 0; e < M * N; e++) d.x[e] = out[e];
}
} // namespace wmma
} // namespace nvcuda

// Blocks run one at a time and fibers switch only at sync points, so these are atomic.
inline float atomicAdd(float* p, float v) { float old = *p; *p = old + v; return old; }
inline int atomicAdd(int* p, int v) { int old = *p; *p = old + v; return old; }

// ---- the runtime API, on host memory ----

typedef enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
} cudaError_t;

enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };
typedef struct sluice_emu_stream* cudaStream_t;

namespace sluice_emu { inline thread_local cudaError_t last_error = cudaSuccess; }

inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  }
  return "unknown error";
}
inline cudaError_t cudaGetLastError() { cudaError_t e = sluice_emu::last_error; sluice_emu::last_error = cudaSuccess; return e; }
inline cudaError_t cudaPeekAtLastError() { return sluice_emu::last_error; }
inline cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  *p = std::aligned_alloc(256, ((bytes ? bytes : 1) + 255) / 256 * 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
template <typename T> cudaError_t cudaMalloc(T** p, std::size_t bytes) { return cudaMalloc(reinterpret_cast<void**>(p), bytes); }
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* to, const void* from, std::size_t bytes, cudaMemcpyKind) { if (bytes) std::memmove(to, from, bytes); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* to, const void* from, std::size_t bytes, cudaMemcpyKind k, cudaStream_t = nullptr) { return cudaMemcpy(to, from, bytes, k); }
inline cudaError_t cudaMemset(void* p, int v, std::size_t bytes) { if (bytes) std::memset(p, v, bytes); return cudaSuccess; }
inline cudaError_t cudaMemsetAsync(void* p, int v, std::size_t bytes, cudaStream_t = nullptr) { return cudaMemset(p, v, bytes); }
inline cudaError_t cudaStreamCreate(cudaStream_t* s) { *s = nullptr; return cudaSuccess; }
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

/** `kernel<<<grid, block, shared, stream>>>(args...)` under nvcc; the block-by-block emulator here. */
#define SLUICE_LAUNCH(kernel, grid, block, shared, stream, ...) \
  sluice_emu::launch((grid), (block), [&]() { kernel(__VA_ARGS__); })

#endif // SLUICE_CUDA_EMU_H
