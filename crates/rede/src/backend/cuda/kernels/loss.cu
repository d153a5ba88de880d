// Fused softmax cross-entropy: one block per row computes the row's maximum,
// the softmax normalizer, the loss and the gradient (see cpu/loss.rs for the formula).

__device__ __forceinline__ double target_mass(u64 k, u64 y, const double* weight, double eps_share,
                                              double smoothing) {
    return eps_share * weight[k] + (k == y ? (1.0 - smoothing) * weight[y] : 0.0);
}

#define LOSS(T, S) \
extern "C" __global__ void cross_entropy_##S(T* losses, T* grad, const T* z, Strided s, const u64* classes, \
                                            const double* weight, u64 rows, u64 c, double smoothing, \
                                            double norm) { \
    double eps_share = smoothing / (double)c; \
    for (u64 r = blockIdx.x; r < rows; r += gridDim.x) { \
        u64 y = classes[r]; \
        double mx = -inf(); \
        for (u64 k = threadIdx.x; k < c; k += BLOCK) mx = fmax(mx, (double)z[at(s, r * c + k)]); \
        mx = block_max(mx); \
        double total = 0.0, mass = 0.0; \
        for (u64 k = threadIdx.x; k < c; k += BLOCK) { \
            total += exp((double)z[at(s, r * c + k)] - mx); \
            mass += target_mass(k, y, weight, eps_share, smoothing); \
        } \
        total = block_sum(total); \
        mass = block_sum(mass); \
        double log_total = log(total), loss = 0.0; \
        for (u64 k = threadIdx.x; k < c; k += BLOCK) { \
            double shifted = (double)z[at(s, r * c + k)] - mx; \
            double b = target_mass(k, y, weight, eps_share, smoothing); \
            if (b != 0.0) loss -= b * (shifted - log_total); \
            grad[r * c + k] = (T)(((exp(shifted) / total) * mass - b) / norm); \
        } \
        loss = block_sum(loss); \
        if (threadIdx.x == 0) losses[r] = (T)loss; \
    } \
}
LOSS(float, f32)
LOSS(double, f64)
