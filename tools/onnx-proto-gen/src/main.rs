//! Compiles the vendored onnx.proto into prost types once, so building rede needs no protoc.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let proto_dir = root.join("crates/rede/proto");
    let out_dir = std::env::temp_dir().join("onnx-proto-gen");
    std::fs::create_dir_all(&out_dir).expect("a temporary output folder");
    // prost-build runs protoc; the vendored binary spares installing one.
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path().expect("a vendored protoc"));
    prost_build::Config::new()
        .out_dir(&out_dir)
        .compile_protos(&[proto_dir.join("onnx.proto")], &[proto_dir])
        .expect("onnx.proto compiles");
    let generated = std::fs::read_to_string(out_dir.join("onnx.rs")).expect("prost-build wrote onnx.rs");
    let header = "// Generated once by tools/onnx-proto-gen (prost-build 0.13.5) from crates/rede/proto/onnx.proto\n\
                  // (ONNX 1.23, Apache-2.0); regenerate with that tool rather than editing by hand.\n";
    let target = root.join("crates/rede/src/onnx/proto.rs");
    std::fs::write(&target, format!("{header}{generated}")).expect("proto.rs written");
    println!("wrote {}", target.display());
}
