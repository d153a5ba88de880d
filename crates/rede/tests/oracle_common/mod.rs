//! Reading the PyTorch oracle fixtures (`fixtures/gen_oracle_ops*.py`) and
//! comparing with them, shared by `ops_oracle.rs` and `ops_more_oracle.rs`.

use rede::Tensor;
use serde_json::Value;

/// A tensor of f64 values.
pub fn f64s(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

/// A number of the fixture: JSON numbers, or "inf" / "-inf" / "nan" strings.
pub fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("bad number {s:?}")),
        other => panic!("bad number {other}"),
    }
}

/// A fixture tensor: `{"shape": [..], "data": [..]}`.
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(number).collect();
    f64s(&data, &shape)
}

/// Compares with 12-significant-digit fixture values; infinities and NaN must match exactly.
pub fn assert_matches(actual: &Tensor, expected: &Tensor, what: &str) {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    for (i, (a, e)) in actual.to_vec_f64().into_iter().zip(expected.to_vec_f64()).enumerate() {
        let close =
            if e.is_finite() { (a - e).abs() <= 1e-9 * (1.0 + e.abs()) } else { a == e || (a.is_nan() && e.is_nan()) };
        assert!(close, "{what}: element {i} is {a}, PyTorch gives {e}");
    }
}

/// The output gradient the generator backpropagates: 1 + 0.25·(i mod 5).
pub fn output_gradient(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    f64s(&(0..n).map(|i| 1.0 + 0.25 * (i % 5) as f64).collect::<Vec<_>>(), shape)
}
