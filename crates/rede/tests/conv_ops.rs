//! Convolution and pooling ops: gradients against finite differences (f64), values
//! against a direct nested-loop convolution, and output shapes at the edges.

use rede::{gradcheck, Conv1dOptions, Conv2dOptions, DType, GradcheckOptions, Rng, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

/// The textbook definition: out[n,o,y,x] = b[o] + Σ w[o,c,i,j]·x[n, g·C/G + c, y·s − p + i·d, x·s − p + j·d].
fn direct_conv2d(x: &Tensor, w: &Tensor, b: Option<&Tensor>, o: Conv2dOptions) -> Vec<f64> {
    let (xs, ws) = (x.shape().to_vec(), w.shape().to_vec());
    let (xv, wv) = (x.to_vec_f64(), w.to_vec_f64());
    let bv = b.map(Tensor::to_vec_f64);
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
    let (oc, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
    let out_len =
        |len: usize, k: usize, d: usize| (len + 2 * o.padding[d] - o.dilation[d] * (k - 1) - 1) / o.stride[d] + 1;
    let (oh, ow) = (out_len(h, kh, 0), out_len(wd, kw, 1));
    let og = oc / o.groups;
    let mut out = Vec::new();
    for ni in 0..n {
        for oi in 0..oc {
            let group = oi / og;
            for y in 0..oh {
                for xo in 0..ow {
                    let mut acc = bv.as_ref().map_or(0.0, |b| b[oi]);
                    for ci in 0..cg {
                        for i in 0..kh {
                            for j in 0..kw {
                                let iy = (y * o.stride[0] + i * o.dilation[0]) as isize - o.padding[0] as isize;
                                let ix = (xo * o.stride[1] + j * o.dilation[1]) as isize - o.padding[1] as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let xin = xv[((ni * c + group * cg + ci) * h + iy as usize) * wd + ix as usize];
                                acc += wv[((oi * cg + ci) * kh + i) * kw + j] * xin;
                            }
                        }
                    }
                    out.push(acc);
                }
            }
        }
    }
    out
}

fn assert_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "element {i}: {x} vs {y}");
    }
}

/// Option combinations covering stride, padding, dilation, groups and non-square shapes.
fn cases() -> Vec<([usize; 4], [usize; 4], Conv2dOptions)> {
    let d = Conv2dOptions::default;
    vec![
        ([2, 3, 5, 4], [4, 3, 3, 2], d()),
        ([2, 2, 7, 6], [3, 2, 3, 3], d().stride(2).padding(1)),
        ([1, 2, 7, 8], [2, 2, 2, 3], Conv2dOptions { stride: [1, 2], padding: [2, 1], dilation: [2, 1], groups: 1 }),
        ([2, 4, 5, 5], [6, 2, 3, 3], d().groups(2).padding(1)),
        ([1, 4, 6, 5], [4, 1, 2, 2], d().groups(4).dilation(2)),
        ([2, 3, 4, 4], [5, 3, 1, 1], d()),
        ([1, 2, 5, 5], [2, 2, 2, 2], d().stride(3)),
    ]
}

#[test]
fn conv2d_matches_the_direct_definition() {
    for (i, (xs, ws, o)) in cases().into_iter().enumerate() {
        let (x, w, b) = (randn(&xs, i as u64), randn(&ws, 100 + i as u64), randn(&[ws[0]], 200 + i as u64));
        let y = x.conv2d(&w, Some(&b), o).unwrap();
        assert_close(&y.to_vec_f64(), &direct_conv2d(&x, &w, Some(&b), o), 1e-10);
        // f32 takes the same path with its own scratch buffer.
        let y32 = x.to_dtype(DType::F32).conv2d(&w.to_dtype(DType::F32), None, o).unwrap();
        assert_close(&y32.to_vec_f64(), &direct_conv2d(&x, &w, None, o), 1e-4);
    }
}

#[test]
fn conv2d_passes_gradcheck_for_every_option_combination() {
    for (i, (xs, ws, o)) in cases().into_iter().enumerate() {
        let inputs = [randn(&xs, i as u64), randn(&ws, 100 + i as u64), randn(&[ws[0]], 200 + i as u64)];
        let r = gradcheck(|t| t[0].conv2d(&t[1], Some(&t[2]), o), &inputs, GradcheckOptions::default()).unwrap();
        assert!(r.passed, "case {i} {o:?}: {r}");
    }
}

#[test]
fn conv2d_without_bias_and_on_a_non_contiguous_input() {
    let x = randn(&[2, 5, 3, 4], 1).permute(&[0, 3, 2, 1]).unwrap(); // [2, 4, 3, 5], strided
    let w = randn(&[3, 4, 2, 2], 2);
    let y = x.conv2d(&w, None, Conv2dOptions::default()).unwrap();
    assert_close(&y.to_vec_f64(), &direct_conv2d(&x.contiguous(), &w, None, Conv2dOptions::default()), 1e-10);
    let r = gradcheck(
        |t| t[0].permute(&[0, 3, 2, 1])?.conv2d(&t[1], None, Conv2dOptions::default().padding(1)),
        &[randn(&[2, 5, 3, 4], 1), w],
        GradcheckOptions::default(),
    )
    .unwrap();
    assert!(r.passed, "{r}");
}

#[test]
fn conv1d_matches_conv2d_of_height_one_and_passes_gradcheck() {
    let o = Conv1dOptions { stride: 2, padding: 2, dilation: 2, groups: 2 };
    let (x, w, b) = (randn(&[2, 4, 9], 3), randn(&[6, 2, 3], 4), randn(&[6], 5));
    let y = x.conv1d(&w, Some(&b), o).unwrap();
    let o2 = Conv2dOptions { stride: [1, 2], padding: [0, 2], dilation: [1, 2], groups: 2 };
    let expect = direct_conv2d(&x.unsqueeze(2).unwrap(), &w.unsqueeze(2).unwrap(), Some(&b), o2);
    assert_eq!(y.shape(), &[2, 6, 5]);
    assert_close(&y.to_vec_f64(), &expect, 1e-10);
    let r = gradcheck(|t| t[0].conv1d(&t[1], Some(&t[2]), o), &[x, w, b], GradcheckOptions::default()).unwrap();
    assert!(r.passed, "{r}");
}

#[test]
fn output_shapes_at_the_edges() {
    let w5 = Tensor::zeros(&[1, 1, 5, 5], DType::F32);
    // Kernel larger than the input, but not than the padded input: 3 + 2·1 = 5 → one output.
    let x3 = Tensor::zeros(&[1, 1, 3, 3], DType::F32);
    assert_eq!(x3.conv2d(&w5, None, Conv2dOptions::default().padding(1)).unwrap().shape(), &[1, 1, 1, 1]);
    assert!(x3.conv2d(&w5, None, Conv2dOptions::default()).is_err());
    // Stride larger than the kernel skips input: (7 − 2) / 3 + 1 = 2.
    let x7 = Tensor::zeros(&[2, 1, 7, 4], DType::F32);
    let w2 = Tensor::zeros(&[3, 1, 2, 2], DType::F32);
    assert_eq!(x7.conv2d(&w2, None, Conv2dOptions::default().stride(3)).unwrap().shape(), &[2, 3, 2, 1]);
    assert_eq!(x7.max_pool2d([2, 2], [3, 3], [0, 0]).unwrap().shape(), &[2, 1, 2, 1]);
    assert_eq!(x7.avg_pool2d([3, 3], [2, 2], [1, 1]).unwrap().shape(), &[2, 1, 4, 2]);
    assert!(x7.max_pool2d([9, 2], [1, 1], [0, 0]).is_err());
}

#[test]
fn conv_shape_errors_name_the_op_and_shapes() {
    let x = Tensor::zeros(&[1, 3, 4, 4], DType::F32);
    let e = x.conv2d(&Tensor::zeros(&[2, 2, 3, 3], DType::F32), None, Conv2dOptions::default()).unwrap_err();
    assert!(e.to_string().contains("conv2d") && e.to_string().contains("[2, 2, 3, 3]"), "{e}");
    let e = x.conv2d(&Tensor::zeros(&[4, 1, 3, 3], DType::F32), None, Conv2dOptions::default().groups(2));
    assert!(e.unwrap_err().to_string().contains("groups"));
    let bad_bias = Tensor::zeros(&[3], DType::F32);
    let e = x.conv2d(&Tensor::zeros(&[2, 3, 3, 3], DType::F32), Some(&bad_bias), Conv2dOptions::default());
    assert!(e.unwrap_err().to_string().contains("bias"));
    assert!(x
        .reshape(&[3, 4, 4])
        .unwrap()
        .max_pool2d([2, 2], [2, 2], [0, 0])
        .unwrap_err()
        .to_string()
        .contains("max_pool2d"));
}

#[test]
fn max_pool2d_picks_window_maxima_and_routes_gradients_there() {
    let x = Tensor::from_vec((0..16).map(|v| ((v * 7) % 16) as f64).collect(), &[1, 1, 4, 4]).unwrap();
    let y = x.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap();
    // rows of x: [0 7 14 5] [12 3 10 1] [8 15 6 13] [4 11 2 9]
    assert_eq!(y.to_vec_f64(), vec![12.0, 14.0, 15.0, 13.0]);
    let xg = x.requires_grad_();
    xg.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap().sum_all().unwrap().backward().unwrap();
    let g = xg.grad().unwrap().to_vec_f64();
    assert_eq!(g.iter().sum::<f64>(), 4.0);
    assert_eq!((g[4], g[2], g[9], g[11]), (1.0, 1.0, 1.0, 1.0));
}

type PoolFn = dyn Fn(&Tensor) -> rede::Result<Tensor>;

#[test]
fn pooling_passes_gradcheck() {
    // Distinct values keep every maximum unique, so finite differences are well defined.
    let mut rng = Rng::seed(9);
    let mut values: Vec<f64> = (0..2 * 3 * 7 * 6).map(|i| i as f64 * 0.1).collect();
    rng.shuffle(&mut values);
    let x = Tensor::from_vec(values, &[2, 3, 7, 6]).unwrap();
    let opts = GradcheckOptions::default();
    let pools: Vec<(&str, Box<PoolFn>)> = vec![
        ("max 2/2", Box::new(|t: &Tensor| t.max_pool2d([2, 2], [2, 2], [0, 0]))),
        ("max 3/2 pad 1", Box::new(|t: &Tensor| t.max_pool2d([3, 3], [2, 1], [1, 1]))),
        ("avg 3x2/2 pad 1,0", Box::new(|t: &Tensor| t.avg_pool2d([3, 2], [2, 2], [1, 0]))),
        ("avg 2/3", Box::new(|t: &Tensor| t.avg_pool2d([2, 2], [3, 3], [0, 0]))),
        ("adaptive 3x4", Box::new(|t: &Tensor| t.adaptive_avg_pool2d(3, 4))),
        ("global", Box::new(|t: &Tensor| t.global_avg_pool2d())),
    ];
    for (name, pool) in &pools {
        let r = gradcheck(|t| pool(&t[0]), std::slice::from_ref(&x), opts).unwrap();
        assert!(r.passed, "{name}: {r}");
    }
}

#[test]
fn avg_pool2d_counts_padding_and_adaptive_pool_averages_its_windows() {
    let x = Tensor::from_vec((1..=9).map(f64::from).collect(), &[1, 1, 3, 3]).unwrap();
    // Top-left window with padding 1 covers 1, 2, 4, 5 and five zeros: 12 / 9.
    let y = x.avg_pool2d([3, 3], [2, 2], [1, 1]).unwrap().to_vec_f64();
    assert!((y[0] - 12.0 / 9.0).abs() < 1e-12, "{y:?}");
    // 3 → 2 adaptive windows are rows/cols {0,1} and {1,2}.
    let a = x.adaptive_avg_pool2d(2, 2).unwrap().to_vec_f64();
    assert_eq!(a, vec![3.0, 4.0, 6.0, 7.0]);
    assert_eq!(x.global_avg_pool2d().unwrap().to_vec_f64(), vec![5.0]);
}

#[test]
fn large_batches_split_across_threads_match_sample_by_sample_results() {
    // 37 samples: several parallel blocks and sub-batches, the last ones partial.
    let o = Conv2dOptions::default().padding(1).stride(2).groups(1);
    let (x, w) = (randn(&[37, 3, 6, 5], 20).requires_grad_(), randn(&[4, 3, 3, 3], 21).requires_grad_());
    let y = x.conv2d(&w, None, o).unwrap();
    y.square().sum_all().unwrap().backward().unwrap();
    let mut gw = vec![0.0; w.numel()];
    for n in 0..37 {
        let (xn, wn) = (x.detach().narrow(0, n, 1).unwrap().requires_grad_(), w.detach().requires_grad_());
        let yn = xn.conv2d(&wn, None, o).unwrap();
        assert_close(&yn.to_vec_f64(), &y.narrow(0, n, 1).unwrap().to_vec_f64(), 1e-12);
        yn.square().sum_all().unwrap().backward().unwrap();
        let gx = x.grad().unwrap().narrow(0, n, 1).unwrap().to_vec_f64();
        assert_close(&xn.grad().unwrap().to_vec_f64(), &gx, 1e-12);
        gw.iter_mut().zip(wn.grad().unwrap().to_vec_f64()).for_each(|(a, b)| *a += b);
    }
    assert_close(&w.grad().unwrap().to_vec_f64(), &gw, 1e-10);
}
