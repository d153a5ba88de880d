// Elementwise kernels over strided operands: copy, cast, unary and binary
// functions, and select. Op codes match `unary_code`/`binary_code` in elementwise.rs.

__device__ double normal_cdf(double x) { return 0.5 * (1.0 + erf(x * 0.70710678118654752440)); }
__device__ double normal_pdf(double x) { return exp(-0.5 * x * x) * 0.39894228040143267794; }

template <typename T> __device__ T sigmoid(T x) {
    if (x >= (T)0) return (T)1 / ((T)1 + m_exp(-x));
    T e = m_exp(x);
    return e / ((T)1 + e);
}

__device__ double softplus(double x) {
    if (x > 20.0) return x;
    if (x < -20.0) return exp(x);
    return log1p(exp(x));
}

template <typename T> __device__ T unary_op(int op, T x, double a, double b) {
    switch (op) {
        case 0: return -x;
        case 1: return m_exp(x);
        case 2: return m_log(x);
        case 3: return m_sqrt(x);
        case 4: return m_abs(x);
        case 5: return x > (T)0 ? (T)1 : (x < (T)0 ? (T)-1 : (T)0);
        case 6: return (T)1 / x;
        case 7: return (x > (T)0 || is_nan((double)x)) ? x : (T)0;  // NaN stays NaN, as in PyTorch
        case 8: return x > (T)0 ? x : x * (T)a;
        case 9: return sigmoid(x);
        case 10: return m_tanh(x);
        case 11: return (T)((double)x * normal_cdf((double)x));
        case 12: return (T)(normal_cdf((double)x) + (double)x * normal_pdf((double)x));
        case 13: return (T)softplus((double)x);
        case 14: return m_pow(x, (T)a);
        case 15: {
            if (is_nan((double)x)) return x;
            T lo = x > (T)a ? x : (T)a;
            return lo < (T)b ? lo : (T)b;
        }
        case 16: return x * (T)a + (T)b;
        case 18: return (T)sin((double)x);
        case 19: return (T)cos((double)x);
        case 20: return (T)log1p((double)x);
        case 21: return (T)expm1((double)x);
        case 22: return (T)erf((double)x);
        case 23: return (T)floor((double)x);
        case 24: return (T)rint((double)x);  // halves to even, as torch.round
        default: return x > (T)0 ? (T)1 : (T)0;
    }
}

template <typename T> __device__ T binary_op(int op, T x, T y) {
    switch (op) {
        case 0: return x + y;
        case 1: return x - y;
        case 2: return x * y;
        case 3: return x / y;
        case 4: return m_pow(x, y);
        // A NaN in either operand is the result of maximum and minimum.
        case 5: return (is_nan((double)x) || x >= y) ? x : y;
        case 6: return (is_nan((double)x) || x <= y) ? x : y;
        // ReLU's backward passes the gradient where the output is NaN.
        case 7: return y <= (T)0 ? (T)0 : x;
        case 8: return x == y ? (T)1 : (T)0;
        case 9: return x != y ? (T)1 : (T)0;
        case 10: return x < y ? (T)1 : (T)0;
        case 11: return x <= y ? (T)1 : (T)0;
        case 12: return x > y ? (T)1 : (T)0;
        default: return x >= y ? (T)1 : (T)0;
    }
}

#define ELEMENTWISE(T, S) \
extern "C" __global__ void copy_##S(T* out, const T* in, Strided s, u64 n) { \
    GRID_LOOP(i, n) out[i] = in[at(s, i)]; \
} \
extern "C" __global__ void unary_##S(T* out, const T* in, Strided s, u64 n, int op, double a, double b) { \
    GRID_LOOP(i, n) out[i] = unary_op<T>(op, in[at(s, i)], a, b); \
} \
extern "C" __global__ void binary_##S(T* out, const T* x, Strided sx, const T* y, Strided sy, u64 n, int op) { \
    GRID_LOOP(i, n) out[i] = binary_op<T>(op, x[at(sx, i)], y[at(sy, i)]); \
} \
extern "C" __global__ void select_##S(T* out, const T* c, Strided sc, const T* t, Strided st, \
                                     const T* f, Strided sf, u64 n) { \
    GRID_LOOP(i, n) out[i] = c[at(sc, i)] != (T)0 ? t[at(st, i)] : f[at(sf, i)]; \
}
ELEMENTWISE(float, f32)
ELEMENTWISE(double, f64)

extern "C" __global__ void cast_f32_f64(double* out, const float* in, Strided s, u64 n) {
    GRID_LOOP(i, n) out[i] = (double)in[at(s, i)];
}
extern "C" __global__ void cast_f64_f32(float* out, const double* in, Strided s, u64 n) {
    GRID_LOOP(i, n) out[i] = (float)in[at(s, i)];
}
