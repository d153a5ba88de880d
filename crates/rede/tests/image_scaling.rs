//! Image inputs: one mean and standard deviation per channel over all its pixels,
//! learnt in `fit`, saved with the model and applied to new data.

use rede::data::{read_csv_from, CsvOptions, FeaturePipeline, PipelineOptions, Table};
use rede::estimator::{Estimator, MlpClassifier, MlpParams};

/// Two-channel 1x2 "images": channel 0 is p0, p1; channel 1 is q0, q1 (constant).
const IMAGES: &str = "\
p0,p1,q0,q1,label
0,2,5,5,a
4,6,5,5,b
0,6,5,5,a
4,2,5,5,b
";

fn table(text: &str) -> Table {
    read_csv_from(text.as_bytes(), "images.csv", &CsvOptions::default()).unwrap()
}

#[test]
fn pixels_of_a_channel_share_one_mean_and_deviation() {
    let options = PipelineOptions { image_channels: Some(2), ..Default::default() };
    let p = FeaturePipeline::fit(&table(IMAGES), "label", &options).unwrap();
    let x = p.features(&table("p0,p1,q0,q1\n3,3,5,9\n")).unwrap().to_vec_f32();
    // Channel 0 pools 0,2,4,6,0,6,4,2: mean 3, population std √5. Per column, p0 and p1
    // would have had different statistics (means 2 and 4), so 3 would not map to 0 in both.
    assert_eq!(&x[..2], &[0.0, 0.0]);
    // Channel 1 is constant (5): its scale is 1, so 9 maps to 4.
    assert_eq!(&x[2..], &[0.0, 4.0]);

    let per_column = FeaturePipeline::fit(&table(IMAGES), "label", &PipelineOptions::default()).unwrap();
    let y = per_column.features(&table("p0,p1,q0,q1\n3,3,5,9\n")).unwrap().to_vec_f32();
    assert_ne!(&y[..2], &[0.0, 0.0], "the default stays per column");
}

#[test]
fn channels_must_divide_the_columns_and_hold_numbers() {
    let options = PipelineOptions { image_channels: Some(3), ..Default::default() };
    let err = FeaturePipeline::fit(&table(IMAGES), "label", &options).unwrap_err().to_string();
    assert!(err.contains("4 feature columns cannot be split into 3 equal channels"), "{err}");
    let text = "p0,name,label\n1,x,a\n2,y,b\n";
    let options = PipelineOptions { image_channels: Some(1), ..Default::default() };
    let err = FeaturePipeline::fit(&table(text), "label", &options).unwrap_err().to_string();
    assert!(err.contains("column 'name' holds text"), "{err}");
}

#[test]
fn the_model_file_keeps_the_channel_statistics() {
    let params = MlpParams {
        hidden_layer_sizes: vec![4],
        max_iter: 2,
        random_state: Some(0),
        image_channels: Some(2),
        ..Default::default()
    };
    let mut clf = MlpClassifier::new(params);
    clf.fit_table(&table(IMAGES), "label").unwrap();
    let path = std::env::temp_dir().join(format!("rede-image-scaling-{}.safetensors", std::process::id()));
    clf.save(&path).unwrap();
    let loaded = Estimator::load(&path);
    std::fs::remove_file(&path).unwrap();
    let loaded = loaded.unwrap();
    let new = table("p0,p1,q0,q1\n3,3,5,9\n");
    let x = loaded.pipeline().features(&new).unwrap().to_vec_f32();
    assert_eq!(x, vec![0.0, 0.0, 0.0, 4.0]);
    assert_eq!(loaded.params().image_channels, Some(2));
}
