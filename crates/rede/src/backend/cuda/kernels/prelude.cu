// Shared by every rede kernel module: integer types, the strided-operand
// descriptor, per-type math helpers and block reductions. NVRTC compiles
// without system headers, so nothing here includes one.

typedef unsigned long long u64;
typedef unsigned int u32;

#define MAX_DIMS 8
#define BLOCK 256

// One operand's layout: element i (row-major over `shape`) lives at
// offset + sum(coord_d * strides_d). Matches `Strided` in launch.rs.
struct Strided {
    u32 rank;
    u32 contiguous;
    u64 offset;
    u64 shape[MAX_DIMS];
    u64 strides[MAX_DIMS];
};

__device__ __forceinline__ u64 at(const Strided& s, u64 i) {
    if (s.contiguous) return s.offset + i;
    u64 off = s.offset;
    for (int d = (int)s.rank - 1; d >= 0; --d) {
        u64 c = i % s.shape[d];
        i /= s.shape[d];
        off += c * s.strides[d];
    }
    return off;
}

#define GRID_LOOP(i, n) \
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < (n); i += (u64)blockDim.x * gridDim.x)

#define MATH1(name, f, d) \
    __device__ __forceinline__ float name(float x) { return f(x); } \
    __device__ __forceinline__ double name(double x) { return d(x); }
MATH1(m_exp, expf, exp)
MATH1(m_log, logf, log)
MATH1(m_sqrt, sqrtf, sqrt)
MATH1(m_tanh, tanhf, tanh)
MATH1(m_abs, fabsf, fabs)
__device__ __forceinline__ float m_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double m_pow(double a, double b) { return pow(a, b); }

__device__ __forceinline__ double inf() { return __longlong_as_double(0x7ff0000000000000LL); }
__device__ __forceinline__ bool is_nan(double x) { return x != x; }

// Adds v into *p; doubles need compute capability 6.0, which every
// supported GPU has.
__device__ __forceinline__ void add_to(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void add_to(double* p, double v) { atomicAdd(p, v); }

// Sum over the block (blockDim.x == BLOCK); every thread gets the result.
__device__ double block_sum(double v) {
    __shared__ double buf[BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
        __syncthreads();
    }
    double r = buf[0];
    __syncthreads();
    return r;
}

// Maximum over the block (blockDim.x == BLOCK); every thread gets the result.
__device__ double block_max(double v) {
    __shared__ double buf[BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] = fmax(buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    double r = buf[0];
    __syncthreads();
    return r;
}
