//! Builds the runtime to wasm with `substrate-wasm-builder` (native builds only).

fn main() {
    #[cfg(feature = "std")]
    substrate_wasm_builder::WasmBuilder::build_using_defaults();
}
