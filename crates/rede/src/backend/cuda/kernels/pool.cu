// Max and average pooling over contiguous planes, one thread per output.
// `rows`/`cols` hold each output row's and column's input range [start, end).

#define POOL(T, S) \
extern "C" __global__ void max_pool_##S(T* out, u32* arg, const T* x, const u32* rows, const u32* cols, \
                                       u64 oh, u64 ow, u64 w, u64 ip, u64 n) { \
    GRID_LOOP(e, n) { \
        u64 ox = e % ow, oy = (e / ow) % oh, plane = e / (ow * oh); \
        const T* p = x + plane * ip; \
        double best = -inf(); \
        u32 where = rows[2 * oy] * w + cols[2 * ox]; \
        for (u32 r = rows[2 * oy]; r < rows[2 * oy + 1]; ++r) \
            for (u32 c = cols[2 * ox]; c < cols[2 * ox + 1]; ++c) { \
                double v = (double)p[r * w + c]; \
                if (v > best || is_nan(v)) { best = v; where = r * w + c; } \
            } \
        out[e] = (T)best; \
        arg[e] = where; \
    } \
} \
extern "C" __global__ void max_unpool_##S(T* dx, const T* g, const u32* arg, u64 op, u64 ip, u64 n) { \
    GRID_LOOP(e, n) add_to(dx + (e / op) * ip + arg[e], g[e]); \
} \
extern "C" __global__ void avg_pool_##S(T* out, const T* x, const u32* rows, const u32* cols, u64 oh, \
                                       u64 ow, u64 w, u64 ip, u64 fixed, u64 n) { \
    GRID_LOOP(e, n) { \
        u64 ox = e % ow, oy = (e / ow) % oh, plane = e / (ow * oh); \
        const T* p = x + plane * ip; \
        u32 r0 = rows[2 * oy], r1 = rows[2 * oy + 1], c0 = cols[2 * ox], c1 = cols[2 * ox + 1]; \
        T sum = 0; \
        for (u32 r = r0; r < r1; ++r) \
            for (u32 c = c0; c < c1; ++c) sum += p[r * w + c]; \
        double div = fixed ? (double)fixed : (double)((r1 - r0) * (c1 - c0)); \
        out[e] = sum / (T)div; \
    } \
} \
extern "C" __global__ void avg_unpool_##S(T* dx, const T* g, const u32* rows, const u32* cols, u64 oh, \
                                         u64 ow, u64 w, u64 ip, u64 fixed, u64 n) { \
    GRID_LOOP(e, n) { \
        u64 ox = e % ow, oy = (e / ow) % oh, plane = e / (ow * oh); \
        u32 r0 = rows[2 * oy], r1 = rows[2 * oy + 1], c0 = cols[2 * ox], c1 = cols[2 * ox + 1]; \
        double div = fixed ? (double)fixed : (double)((r1 - r0) * (c1 - c0)); \
        T share = g[e] / (T)div; \
        for (u32 r = r0; r < r1; ++r) \
            for (u32 c = c0; c < c1; ++c) add_to(dx + plane * ip + r * w + c, share); \
    } \
}
POOL(float, f32)
POOL(double, f64)
