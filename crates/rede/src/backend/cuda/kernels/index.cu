// Indexing kernels: index_select / gather, their adjoints (atomic adds into
// zeroed outputs) and concatenation. Indices are validated on the host.

#define INDEX(T, S) \
extern "C" __global__ void index_select_##S(T* out, const T* in, Strided s, const u64* idx, u64 len, \
                                           u64 size, u64 inner, u64 n) { \
    GRID_LOOP(e, n) { \
        u64 i = e % inner, k = (e / inner) % len, o = e / (inner * len); \
        out[e] = in[at(s, (o * size + idx[k]) * inner + i)]; \
    } \
} \
extern "C" __global__ void index_add_##S(T* out, const T* in, Strided s, const u64* idx, u64 len, \
                                        u64 size, u64 inner, u64 n) { \
    GRID_LOOP(e, n) { \
        u64 i = e % inner, k = (e / inner) % len, o = e / (inner * len); \
        add_to(out + (o * size + idx[k]) * inner + i, in[at(s, e)]); \
    } \
} \
/* out[p] = in[p with coordinate dim replaced by idx[p]]; `shape` holds out's shape. */ \
extern "C" __global__ void gather_##S(T* out, const T* in, Strided s, const u64* idx, Strided shape, \
                                     u32 dim, u64 n) { \
    GRID_LOOP(p, n) { \
        u64 rest = p, off = s.offset; \
        for (int d = (int)shape.rank - 1; d >= 0; --d) { \
            u64 c = rest % shape.shape[d]; \
            rest /= shape.shape[d]; \
            off += (d == (int)dim ? idx[p] : c) * s.strides[d]; \
        } \
        out[p] = in[off]; \
    } \
} \
/* Adds in[p] at p's gathered position of a contiguous output whose strides are in `dst`. */ \
extern "C" __global__ void scatter_add_##S(T* out, const T* in, Strided s, const u64* idx, Strided dst, \
                                          u32 dim, u64 n) { \
    GRID_LOOP(p, n) { \
        u64 rest = p, off = 0; \
        for (int d = (int)s.rank - 1; d >= 0; --d) { \
            u64 c = rest % s.shape[d]; \
            rest /= s.shape[d]; \
            off += (d == (int)dim ? idx[p] : c) * dst.strides[d]; \
        } \
        add_to(out + off, in[at(s, p)]); \
    } \
} \
extern "C" __global__ void concat_part_##S(T* out, const T* in, Strided s, u64 n, u64 chunk, u64 total, \
                                          u64 before) { \
    GRID_LOOP(e, n) out[(e / chunk) * total + before + e % chunk] = in[at(s, e)]; \
}
INDEX(float, f32)
INDEX(double, f64)
