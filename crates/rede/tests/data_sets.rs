//! Splits, synthetic datasets and the built-in datasets.

use rede::data::{datasets, stratified_split, synthetic, train_test_split, Column, Dataset, Task};
use rede::Rng;

fn classes_of(d: &Dataset) -> Vec<usize> {
    d.y.to_vec_f32().iter().map(|&c| c as usize).collect()
}

fn count(labels: &[usize], class: usize) -> usize {
    labels.iter().filter(|&&c| c == class).count()
}

/// Every index of `0..n` is in exactly one of the two parts.
fn assert_partition(n: usize, train: &[usize], test: &[usize]) {
    let mut all: Vec<usize> = train.iter().chain(test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>());
}

#[test]
fn train_test_split_partitions_with_the_asked_proportion() {
    let (train, test) = train_test_split(103, 0.25, 7).unwrap();
    assert_eq!(test.len(), 26, "ceil(103 · 0.25)");
    assert_partition(103, &train, &test);
    assert_eq!(train_test_split(103, 0.25, 7).unwrap(), (train.clone(), test), "same seed, same split");
    assert_ne!(train_test_split(103, 0.25, 8).unwrap().0, train);
    assert!(train_test_split(10, 0.0, 1).is_err());
    assert!(train_test_split(10, 1.0, 1).is_err());
    assert!(train_test_split(1, 0.5, 1).is_err());
}

#[test]
fn stratified_split_keeps_class_proportions() {
    // 60 / 30 / 7 / 2 / 1 samples of classes 0..5.
    let labels: Vec<usize> =
        [(0, 60), (1, 30), (2, 7), (3, 2), (4, 1)].iter().flat_map(|&(c, k)| std::iter::repeat_n(c, k)).collect();
    let (train, test) = stratified_split(&labels, 0.2, 3).unwrap();
    assert_partition(labels.len(), &train, &test);
    let part = |idx: &[usize]| idx.iter().map(|&i| labels[i]).collect::<Vec<_>>();
    let (tr, te) = (part(&train), part(&test));
    assert_eq!((count(&te, 0), count(&te, 1), count(&te, 2)), (12, 6, 1));
    assert_eq!((count(&te, 3), count(&tr, 3)), (1, 1), "a class of 2 appears in both parts");
    assert_eq!((count(&te, 4), count(&tr, 4)), (0, 1), "a single sample goes to training");
}

#[test]
fn synthetic_sets_are_deterministic_with_the_right_shapes_and_classes() {
    type Maker = fn(&mut Rng) -> rede::Result<Dataset>;
    let makers: [(&str, Maker, usize); 5] = [
        ("moons", |r| synthetic::moons(101, 0.1, r), 2),
        ("circles", |r| synthetic::circles(101, 0.05, 0.5, r), 2),
        ("spirals", |r| synthetic::spirals(101, 0.05, 2.0, r), 2),
        ("xor", |r| synthetic::xor(101, 0.2, r), 2),
        ("blobs", |r| synthetic::blobs(101, 4, 1.0, r), 4),
    ];
    for (name, make, k) in makers {
        let a = make(&mut Rng::seed(5)).unwrap();
        let b = make(&mut Rng::seed(5)).unwrap();
        let c = make(&mut Rng::seed(6)).unwrap();
        assert_eq!((a.x.shape(), a.y.shape()), (&[101usize, 2][..], &[101usize][..]), "{name}");
        assert_eq!((a.x.to_vec_f32(), a.y.to_vec_f32()), (b.x.to_vec_f32(), b.y.to_vec_f32()), "{name}");
        assert_ne!(a.x.to_vec_f32(), c.x.to_vec_f32(), "{name}: another seed, other data");
        let labels = classes_of(&a);
        let sizes: Vec<usize> = (0..k).map(|class| count(&labels, class)).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 101, "{name}: only classes 0..{k}");
        assert!(sizes.iter().all(|&s| s >= 101 / k), "{name}: balanced classes {sizes:?}");
    }
}

#[test]
fn noiseless_geometry_matches_the_definitions() {
    let circles = synthetic::circles(40, 0.0, 0.3, &mut Rng::seed(1)).unwrap();
    let x = circles.x.to_vec_f64();
    for (i, class) in classes_of(&circles).into_iter().enumerate() {
        let r = x[2 * i].hypot(x[2 * i + 1]);
        assert!((r - [1.0, 0.3][class]).abs() < 1e-6, "radius {r} for class {class}");
    }
    let moons = synthetic::moons(41, 0.0, &mut Rng::seed(1)).unwrap();
    let x = moons.x.to_vec_f64();
    for (i, class) in classes_of(&moons).into_iter().enumerate() {
        // Upper half of the unit circle, or the lower half of the unit circle around (1, 0.5).
        let (cx, cy, up) = [(0.0, 0.0, 1.0), (1.0, 0.5, -1.0)][class];
        let (dx, dy) = (x[2 * i] - cx, x[2 * i + 1] - cy);
        assert!((dx.hypot(dy) - 1.0).abs() < 1e-6 && dy * up >= -1e-6, "moon point ({dx}, {dy}) class {class}");
    }
    let xor = synthetic::xor(40, 0.0, &mut Rng::seed(1)).unwrap();
    let x = xor.x.to_vec_f64();
    for (i, class) in classes_of(&xor).into_iter().enumerate() {
        assert_eq!(class, usize::from(x[2 * i] * x[2 * i + 1] < 0.0), "XOR of the signs");
    }
    let sine = synthetic::sine(50, 0.0, &mut Rng::seed(2)).unwrap();
    assert_eq!((sine.x.shape(), sine.y.shape()), (&[50usize, 1][..], &[50usize, 1][..]));
    for (x, y) in sine.x.to_vec_f64().into_iter().zip(sine.y.to_vec_f64()) {
        assert!((-std::f64::consts::PI..=std::f64::consts::PI).contains(&x) && (y - x.sin()).abs() < 1e-6);
    }
}

#[test]
fn bad_synthetic_arguments_are_errors() {
    let r = &mut Rng::seed(0);
    assert!(synthetic::moons(1, 0.1, r).is_err());
    assert!(synthetic::moons(10, -0.1, r).is_err());
    assert!(synthetic::circles(10, 0.1, 1.5, r).is_err());
    assert!(synthetic::spirals(10, 0.1, 0.0, r).is_err());
    assert!(synthetic::blobs(10, 0, 1.0, r).is_err());
}

#[test]
fn digits_load_with_the_right_counts() {
    let t = datasets::digits().unwrap();
    assert_eq!((t.n_rows(), t.n_columns()), (1797, 65));
    for (name, column) in t.iter() {
        let Column::Numeric(v) = column else { panic!("{name} is not numeric") };
        let max = if name == datasets::DIGITS_TARGET { 9.0 } else { 16.0 };
        assert!(v.iter().all(|&p| (0.0..=max).contains(&p) && p.fract() == 0.0), "{name}");
    }
    let named = datasets::by_name("digits", 0).unwrap();
    let d = named.dataset().unwrap();
    assert_eq!((d.x.shape(), d.y.shape(), named.task), (&[1797usize, 64][..], &[1797usize][..], Task::Classification));
    let labels = classes_of(&d);
    // The class counts of scikit-learn's load_digits().target.
    let expected = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
    assert_eq!((0..10).map(|c| count(&labels, c)).collect::<Vec<_>>(), expected);
}

#[test]
fn every_listed_dataset_loads_by_name() {
    for info in datasets::DATASETS {
        assert!(!info.description.is_empty());
        let named = datasets::by_name(info.name, 3).unwrap();
        let d = named.dataset().unwrap();
        assert!(d.len() >= 500, "{}", info.name);
        assert_eq!(named.task == Task::Regression, info.name == "sine");
    }
    let err = datasets::by_name("mnist-typo", 0).unwrap_err().to_string();
    assert!(err.contains("unknown dataset 'mnist-typo'") && err.contains("moons"), "{err}");
    let a = datasets::by_name("moons", 9).unwrap().dataset().unwrap().x.to_vec_f32();
    assert_eq!(a, datasets::by_name("moons", 9).unwrap().dataset().unwrap().x.to_vec_f32());
}
