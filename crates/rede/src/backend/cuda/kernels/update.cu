// Fused optimizer updates, one thread per parameter element, in double as the
// host rules compute them (see optim/). Per-step constants come from update.rs.

__device__ __forceinline__ double penalized(double w, double g, double l2, double l1) {
    if (l2 != 0.0) g += l2 * w;
    if (l1 != 0.0) g += l1 * (w > 0.0 ? 1.0 : (w < 0.0 ? -1.0 : 0.0));
    return g;
}

__device__ __forceinline__ double lerp(double a, double b, double w) {
    return fabs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1.0 - w);
}

// The value stored as T, or zero when that is subnormal (as the host Adam does).
__device__ __forceinline__ float flushed(float x) { return fabsf(x) < 1.17549435e-38f ? 0.0f : x; }
__device__ __forceinline__ double flushed(double x) { return fabs(x) < 2.2250738585072014e-308 ? 0.0 : x; }

#define UPDATE(T, S) \
extern "C" __global__ void sgd_##S(T* w, const T* g, T* buf, int momentum_on, int first, int nesterov, u64 n, \
                                  double lr, double momentum, double dampening, double l2, double l1) { \
    GRID_LOOP(i, n) { \
        double wf = (double)w[i], gi = penalized(wf, (double)g[i], l2, l1), d = gi; \
        if (momentum_on) { \
            double b = first ? gi : momentum * (double)buf[i] + (1.0 - dampening) * gi; \
            buf[i] = (T)b; \
            b = (double)buf[i]; \
            d = nesterov ? gi + momentum * b : b; \
        } \
        w[i] = (T)(wf - lr * d); \
    } \
} \
extern "C" __global__ void adam_##S(T* w, const T* g, T* m, T* v, T* vmax, int amsgrad, u64 n, double step_size, \
                                   double bc2_sqrt, double b1, double b2, double eps, double l2, double l1, \
                                   double shrink) { \
    GRID_LOOP(i, n) { \
        double wf = (double)w[i] * shrink, gi = penalized(wf, (double)g[i], l2, l1); \
        m[i] = flushed((T)lerp((double)m[i], gi, 1.0 - b1)); \
        v[i] = flushed((T)(b2 * (double)v[i] + (1.0 - b2) * gi * gi)); \
        double second = (double)v[i]; \
        if (amsgrad) { \
            vmax[i] = (T)fmax((double)vmax[i], second); \
            second = (double)vmax[i]; \
        } \
        w[i] = (T)(wf - step_size * ((double)m[i] / (sqrt(second) / bc2_sqrt + eps))); \
    } \
} \
extern "C" __global__ void rmsprop_##S(T* w, const T* g, T* sq, T* gavg, T* mom, int centered, int momentum_on, \
                                      u64 n, double lr, double alpha, double eps, double momentum, double l2, \
                                      double l1) { \
    GRID_LOOP(i, n) { \
        double wf = (double)w[i], gi = penalized(wf, (double)g[i], l2, l1); \
        sq[i] = (T)(alpha * (double)sq[i] + (1.0 - alpha) * gi * gi); \
        double var = (double)sq[i]; \
        if (centered) { \
            gavg[i] = (T)lerp((double)gavg[i], gi, 1.0 - alpha); \
            var -= (double)gavg[i] * (double)gavg[i]; \
        } \
        double avg = sqrt(var) + eps, delta = gi / avg; \
        if (momentum_on) { \
            mom[i] = (T)(momentum * (double)mom[i] + gi / avg); \
            delta = (double)mom[i]; \
        } \
        w[i] = (T)(wf - lr * delta); \
    } \
} \
extern "C" __global__ void adagrad_##S(T* w, const T* g, T* sum, u64 n, double clr, double eps, double l2, \
                                      double l1) { \
    GRID_LOOP(i, n) { \
        double wf = (double)w[i], gi = penalized(wf, (double)g[i], l2, l1); \
        sum[i] = (T)((double)sum[i] + gi * gi); \
        w[i] = (T)(wf - clr * (gi / (sqrt((double)sum[i]) + eps))); \
    } \
}
UPDATE(float, f32)
UPDATE(double, f64)
