//! From CSV text to tensors: standardized numeric columns, one-hot text
//! columns, encoded targets, and a pipeline that survives a JSON round trip.

use rede::data::{
    read_csv_from, stratified_split, CsvOptions, FeaturePipeline, PipelineOptions, Table, Task, UnknownCategory,
};

const TRAIN: &str = "\
size,color,weight,label
1,red,10,cat
2,blue,10,dog
3,green,10,cat
6,red,10,bird
";

fn table(text: &str) -> Table {
    read_csv_from(text.as_bytes(), "test.csv", &CsvOptions::default()).unwrap()
}

#[test]
fn numeric_and_text_columns_become_the_expected_tensor() {
    let p = FeaturePipeline::fit(&table(TRAIN), "label", &PipelineOptions::default()).unwrap();
    assert_eq!(p.feature_names(), vec!["size", "color=blue", "color=green", "color=red", "weight"]);
    assert_eq!(p.class_labels(), Some(vec!["bird".to_string(), "cat".into(), "dog".into()]));
    assert_eq!(p.task(), Task::Classification);
    assert_eq!(p.n_outputs(), 3);

    let x = p.features(&table(TRAIN)).unwrap();
    assert_eq!(x.shape(), &[4, 5]);
    // size: mean 3, population std √3.5; weight is constant, so 0 (no division by zero).
    let z = |v: f64| ((v - 3.0) / 3.5f64.sqrt()) as f32;
    #[rustfmt::skip]
    let expected = vec![
        z(1.0), 0.0, 0.0, 1.0, 0.0,
        z(2.0), 1.0, 0.0, 0.0, 0.0,
        z(3.0), 0.0, 1.0, 0.0, 0.0,
        z(6.0), 0.0, 0.0, 1.0, 0.0,
    ];
    let got = x.to_vec_f32();
    assert!(got.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6), "{got:?} != {expected:?}");
    assert_eq!(p.targets(&table(TRAIN)).unwrap().to_vec_f32(), vec![1.0, 2.0, 1.0, 0.0]);
}

#[test]
fn features_of_a_row_range_are_those_rows_of_the_whole() {
    let p = FeaturePipeline::fit(&table(TRAIN), "label", &PipelineOptions::default()).unwrap();
    let all = p.features(&table(TRAIN)).unwrap().to_vec_f32();
    let part = p.features_of_rows(&table(TRAIN), 1..3).unwrap();
    assert_eq!(part.shape(), &[2, 5]);
    assert_eq!(part.to_vec_f32(), all[5..15].to_vec());
    assert!(p.features_of_rows(&table(TRAIN), 3..5).is_err());
}

#[test]
fn test_data_uses_the_training_statistics() {
    let p = FeaturePipeline::fit(&table(TRAIN), "label", &PipelineOptions::default()).unwrap();
    let test = table("color,size,weight\nblue,3,12\n");
    let x = p.features(&test).unwrap().to_vec_f32();
    assert_eq!(x, vec![0.0, 1.0, 0.0, 0.0, 2.0], "size at the training mean; weight shifted by the training mean");
}

#[test]
fn json_round_trip_gives_identical_transforms() {
    let p = FeaturePipeline::fit(&table(TRAIN), "label", &PipelineOptions::default()).unwrap();
    let json = p.to_json().unwrap();
    let back = FeaturePipeline::from_json(&json).unwrap();
    assert_eq!(back, p);
    let bits = |p: &FeaturePipeline| {
        p.features(&table(TRAIN)).unwrap().to_vec_f32().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    assert_eq!(bits(&back), bits(&p));
    assert_eq!(back.targets(&table(TRAIN)).unwrap().to_vec_f32(), p.targets(&table(TRAIN)).unwrap().to_vec_f32());
    assert!(FeaturePipeline::from_json("{\"inputs\": 3}").is_err());
}

#[test]
fn unknown_categories_fail_or_become_zeros_by_option() {
    let unseen = table("size,color,weight,label\n2,purple,10,cat\n");
    let strict = FeaturePipeline::fit(&table(TRAIN), "label", &PipelineOptions::default()).unwrap();
    let err = strict.features(&unseen).unwrap_err().to_string();
    assert!(err.contains("column 'color'") && err.contains("'purple'"), "{err}");
    let options = PipelineOptions { unknown_category: UnknownCategory::Zeros, ..Default::default() };
    let lenient = FeaturePipeline::fit(&table(TRAIN), "label", &options).unwrap();
    assert_eq!(&lenient.features(&unseen).unwrap().to_vec_f32()[1..4], &[0.0, 0.0, 0.0]);
    let err = strict.targets(&table("size,color,weight,label\n2,red,10,cow\n")).unwrap_err().to_string();
    assert!(err.contains("unknown class 'cow'"), "{err}");
}

#[test]
fn column_mismatch_names_missing_and_unexpected_columns() {
    let p = FeaturePipeline::fit(&table(TRAIN), "label", &PipelineOptions::default()).unwrap();
    let err = p.features(&table("size,colour,label\n1,red,cat\n")).unwrap_err().to_string();
    assert!(err.contains("missing: color, weight; unexpected: colour"), "{err}");
    let err = p.features(&table("size,color,weight\nred,red,1\n")).unwrap_err().to_string();
    assert!(err.contains("column 'size' was numeric in the training data but is text here"), "{err}");
}

#[test]
fn numeric_targets_are_classes_or_values() {
    let text = "x,y\n0.5,1\n1.5,3\n2.5,1\n3.5,2\n";
    let p = FeaturePipeline::fit(&table(text), "y", &PipelineOptions::default()).unwrap();
    assert_eq!(p.class_labels(), Some(vec!["1".to_string(), "2".into(), "3".into()]));
    assert_eq!(p.targets(&table(text)).unwrap().to_vec_f32(), vec![0.0, 2.0, 0.0, 1.0]);
    let options = PipelineOptions { task: Some(Task::Regression), standardize: false, ..Default::default() };
    let r = FeaturePipeline::fit(&table(text), "y", &options).unwrap();
    let d = r.dataset(&table(text)).unwrap();
    assert_eq!((d.x.to_vec_f32(), d.y.shape()), (vec![0.5, 1.5, 2.5, 3.5], &[4usize, 1][..]));
    assert_eq!(d.y.to_vec_f32(), vec![1.0, 3.0, 1.0, 2.0]);
}

#[test]
fn stratified_split_of_a_table_keeps_every_class_in_both_parts() {
    let mut text = String::from("x,label\n");
    for i in 0..30 {
        text += &format!("{i},{}\n", ["a", "b", "c"][i % 3]);
    }
    let t = table(&text);
    let p = FeaturePipeline::fit(&t, "label", &PipelineOptions::default()).unwrap();
    let labels: Vec<usize> = p.targets(&t).unwrap().to_vec_f32().iter().map(|&c| c as usize).collect();
    let (train, test) = stratified_split(&labels, 0.2, 1).unwrap();
    let test_table = t.rows(&test).unwrap();
    let test_labels = p.targets(&test_table).unwrap().to_vec_f32();
    for class in 0..3 {
        assert_eq!(test_labels.iter().filter(|&&c| c == class as f32).count(), 2);
    }
    assert_eq!(train.len(), 24);
}
