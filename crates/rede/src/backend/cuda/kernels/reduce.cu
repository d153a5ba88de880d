// Reductions over trailing axes (one block per output row, accumulated in
// double) and column sums. Op codes match `reduce_code` in reduce.rs.

// Whether (v, i) replaces the running (best, bi) for op; ties keep the lower
// index. For the arg reductions a NaN beats every number (the first NaN wins).
__device__ __forceinline__ bool better(int op, double v, u64 i, double best, u64 bi) {
    bool vn = is_nan(v), bn = is_nan(best);
    switch (op) {
        case 1: return v > best || vn;
        case 2: return v < best || vn;
        default:
            if (vn || bn) return vn && (!bn || i < bi);
            return (op == 3 ? v > best : v < best) || (v == best && i < bi);
    }
}

__device__ __forceinline__ double reduce_init(int op) {
    switch (op) {
        case 0: return 0.0;
        case 1: case 3: return -inf();
        default: return inf();
    }
}

#define REDUCE(T, S) \
extern "C" __global__ void reduce_##S(T* out, const T* in, Strided s, u64 rows, u64 group, int op) { \
    __shared__ double vals[BLOCK]; \
    __shared__ u64 idx[BLOCK]; \
    for (u64 r = blockIdx.x; r < rows; r += gridDim.x) { \
        double acc = reduce_init(op); \
        u64 best = 0; \
        bool seen = false; \
        for (u64 j = threadIdx.x; j < group; j += BLOCK) { \
            double v = (double)in[at(s, r * group + j)]; \
            if (op == 0) acc += v; \
            else if (!seen || better(op, v, j, acc, best)) { acc = v; best = j; seen = true; } \
        } \
        vals[threadIdx.x] = acc; \
        idx[threadIdx.x] = seen ? best : ~0ULL; \
        __syncthreads(); \
        for (unsigned k = BLOCK / 2; k > 0; k >>= 1) { \
            if (threadIdx.x < k) { \
                u64 oi = idx[threadIdx.x + k]; \
                double ov = vals[threadIdx.x + k]; \
                if (op == 0) vals[threadIdx.x] += ov; \
                else if (oi != ~0ULL && (idx[threadIdx.x] == ~0ULL || \
                         better(op, ov, oi, vals[threadIdx.x], idx[threadIdx.x]))) { \
                    vals[threadIdx.x] = ov; idx[threadIdx.x] = oi; \
                } \
            } \
            __syncthreads(); \
        } \
        if (threadIdx.x == 0) { \
            bool arg = op >= 3; \
            u64 bi = idx[0] == ~0ULL ? 0 : idx[0]; \
            out[r] = arg ? (T)bi : (T)vals[0]; \
        } \
        __syncthreads(); \
    } \
} \
extern "C" __global__ void sum_rows_##S(T* out, const T* in, u64 offset, u64 rows, u64 cols) { \
    GRID_LOOP(c, cols) { \
        double acc = 0.0; \
        for (u64 r = 0; r < rows; ++r) acc += (double)in[offset + r * cols + c]; \
        out[c] = (T)acc; \
    } \
}
REDUCE(float, f32)
REDUCE(double, f64)
