// Convolution helpers around cuBLAS: im2col, its adjoint col2im, and the
// per-channel bias add. `Conv` matches `ConvArgs` in conv.rs.

struct Conv {
    u64 channels;      // input channels of one group
    u64 in_c;          // all input channels (sample stride = in_c * h * w)
    u64 h, w, oh, ow;
    u64 kh, kw, sh, sw, ph, pw, dh, dw;
    u64 group_offset;  // first input channel of this group
};

// col[k * ldk + n * ns + p] for patch row k = (c, ki, kj), output position p,
// sample n of the chunk starting at x.
#define CONV(T, S) \
extern "C" __global__ void im2col_##S(T* col, const T* x, Conv g, u64 ldk, u64 ns, u64 samples) { \
    u64 p_len = g.oh * g.ow, k_len = g.channels * g.kh * g.kw, n_all = samples * k_len * p_len; \
    GRID_LOOP(e, n_all) { \
        u64 p = e % p_len, k = (e / p_len) % k_len, n = e / (p_len * k_len); \
        u64 kj = k % g.kw, ki = (k / g.kw) % g.kh, c = k / (g.kw * g.kh); \
        long long iy = (long long)((p / g.ow) * g.sh + ki * g.dh) - (long long)g.ph; \
        long long ix = (long long)((p % g.ow) * g.sw + kj * g.dw) - (long long)g.pw; \
        T v = 0; \
        if (iy >= 0 && ix >= 0 && iy < (long long)g.h && ix < (long long)g.w) \
            v = x[(n * g.in_c + g.group_offset + c) * g.h * g.w + iy * g.w + ix]; \
        col[k * ldk + n * ns + p] = v; \
    } \
} \
/* Each input cell of the group sums the patch entries that read it. */ \
extern "C" __global__ void col2im_##S(T* dx, const T* col, Conv g, u64 ldk, u64 ns, u64 samples) { \
    u64 plane = g.h * g.w, n_all = samples * g.channels * plane; \
    GRID_LOOP(e, n_all) { \
        u64 ix = e % g.w, iy = (e / g.w) % g.h, c = (e / plane) % g.channels, n = e / (plane * g.channels); \
        T acc = 0; \
        for (u64 ki = 0; ki < g.kh; ++ki) { \
            long long ty = (long long)(iy + g.ph) - (long long)(ki * g.dh); \
            if (ty < 0 || ty % (long long)g.sh) continue; \
            u64 oy = (u64)ty / g.sh; \
            if (oy >= g.oh) continue; \
            for (u64 kj = 0; kj < g.kw; ++kj) { \
                long long tx = (long long)(ix + g.pw) - (long long)(kj * g.dw); \
                if (tx < 0 || tx % (long long)g.sw) continue; \
                u64 ox = (u64)tx / g.sw; \
                if (ox >= g.ow) continue; \
                u64 k = (c * g.kh + ki) * g.kw + kj; \
                acc += col[k * ldk + n * ns + oy * g.ow + ox]; \
            } \
        } \
        dx[(n * g.in_c + g.group_offset + c) * plane + iy * g.w + ix] = acc; \
    } \
} \
extern "C" __global__ void add_channel_bias_##S(T* y, const T* bias, u64 channels, u64 plane, u64 n) { \
    GRID_LOOP(e, n) y[e] += bias[(e / plane) % channels]; \
}
CONV(float, f32)
CONV(double, f64)
