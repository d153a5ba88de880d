#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rede_fuzz::npy(data));
